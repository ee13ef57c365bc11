import t from 'tap'
import { hostname } from 'node:os'
import { defaultWorkerName } from '../../src/app/reactors.js'

// Two reactor processes on one host, each with its data directory, are two workers on the job queue; one started
// again on its directory is the same worker, and takes back at once what it held.

t.test("a worker's default name: the host's with the data directory's path", async (t) => {
  t.equal(defaultWorkerName('/var/lib/lod/a'), `${hostname()}:/var/lib/lod/a`)
  t.not(defaultWorkerName('/var/lib/lod/a'), defaultWorkerName('/var/lib/lod/b'), 'two directories, two workers')
  t.equal(defaultWorkerName('/var/lib/lod/a/'), defaultWorkerName('/var/lib/lod/./a'), 'one directory however it is spelt')
  t.equal(defaultWorkerName('data'), `${hostname()}:${process.cwd()}/data`, 'a relative one from where the process starts')
  t.equal(defaultWorkerName(undefined), hostname(), 'read models in memory: the host alone')
})
