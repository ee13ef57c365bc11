import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { Okeanos } from '../../src/okeanos/index.js'
import type { Service } from '../../src/app/service.js'
import { restartableService } from '../support/cluster.js'
import { createBody } from '../support/fixtures.js'
import { waitUntil } from '../support/wait.js'

// An events.db written before the log had a job table holds no job rows: the first start after the upgrade finds
// what its events left undone (an instance left PENDING) and queues it, once.

t.test('an instance left PENDING in a log from before the job table is built after the upgrade', async (t) => {
  const data = await restartableService(t)
  const { emulator, alice } = data
  let service: Service | undefined
  const start = async (reactors: boolean) => {
    const started = await data.start(reactors)
    service = started.service
    return async (method: string, path: string, body?: object) => {
      const response = await fetch(`${started.url}${path}`, {
        method,
        headers: { authorization: `Token ${alice.token}`, ...(body && { 'content-type': 'application/json' }) },
        ...(body && { body: JSON.stringify(body) }),
      })
      return (await response.json()) as any
    }
  }

  // Asked for while no reactor ran, then the file is taken back to the layout before the job table.
  let call = await start(false)
  const id: string = (await call('POST', '/api/lambda-instance/', { ...createBody, slaves: 1, public_key_name: [] })).data[0].id
  await service!.close()
  service = undefined
  const file = new Database(join(data.dataDir, 'events.db'))
  file.exec('DROP TABLE jobs; DROP TABLE jobs_unseeded')
  file.pragma('user_version = 0')
  file.close()

  call = await start(true)
  const status = await waitUntil('STARTED or failed', async () => {
    const now = (await call('GET', `/api/lambda-instances/${id}/?filter=status`)).data[0].status
    return now.message === 'STARTED' || now.message.endsWith('FAILED') ? now : undefined
  })
  t.equal(status.message, 'STARTED')
  const ok = await Okeanos.connect(emulator.identityUrl, alice.token)
  const servers = (await ok.compute.listServers()).filter((s) => s.metadata?.lod_instance === id)
  t.same(servers.map((s) => s.metadata.lod_role).sort(), ['master', 'slave-1'], 'built once')
  await service!.reactors!.idle()
  t.match(service!.reactors!.jobCounts(), { failed: 0, queued: 0, running: 0 })
})
