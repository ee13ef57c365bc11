import t from 'tap'
import { chmodSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createBody, startHarness } from '../support/harness.js'
import { tempDir } from '../support/temp-dir.js'
import { jar, multipart } from '../support/multipart.js'

// The data directory and everything in it are the service user's alone: 0700 and 0600, whatever the umask.

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

t.test('the data directory is 0700 and its files 0600', async (t) => {
  const dataDir = tempDir(t)
  chmodSync(dataDir, 0o755)
  const h = await startHarness(t, { dataDir })
  t.equal((await h.call('POST', '/api/lambda-instance/', { payload: createBody })).statusCode, 202)
  const upload = multipart({ file: { filename: 'a.jar', content: jar() }, type: 'batch', project_name: 'lambda.grnet.gr' })
  t.equal((await h.call('POST', '/api/apps/', upload)).statusCode, 202)

  t.equal(modeOf(dataDir), '700', 'the data directory')
  t.equal(modeOf(join(dataDir, 'uploads')), '700', 'the uploads folder')
  const files = [
    ...readdirSync(dataDir).filter((name) => name !== 'uploads'),
    ...readdirSync(join(dataDir, 'uploads')).map((name) => join('uploads', name)),
  ]
  for (const name of ['events.db', 'read.db', 'secrets.db']) t.ok(files.includes(name), `${name} is there`)
  t.ok(files.some((file) => file.endsWith('.jar')), 'the uploaded jar is there')
  t.ok(files.some((file) => file.endsWith('-wal')), 'a write-ahead log is there')
  for (const file of files) t.equal(modeOf(join(dataDir, file)), '600', file)
})
