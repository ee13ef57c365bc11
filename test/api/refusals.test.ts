import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createBody, requestedBy, startHarness, statusChanged } from '../support/harness.js'
import { footprintOf } from '../support/footprint.js'
import { tempDir } from '../support/temp-dir.js'
import { jar, multipart } from '../support/multipart.js'
import { waitUntil } from '../support/wait.js'

// A retry answers its first reply and does nothing else; a refused request writes nothing anywhere: not the log,
// not the secret store, not the uploads folder.

async function harness(t: Parameters<typeof startHarness>[0]) {
  const dataDir = tempDir(t)
  const h = await startHarness(t, { dataDir, synchronous: 'normal' })
  return { ...h, footprint: () => footprintOf(h.service, dataDir) }
}

const upload = multipart({
  file: { filename: 'application.jar', content: jar() },
  type: 'batch',
  project_name: 'lambda.grnet.gr',
  description: 'desc',
  execution_environment_name: 'Stream',
})

t.test('a retried upload answers the first 202 and its id, and keeps no second copy', async (t) => {
  const h = await harness(t)
  const headers = { ...upload.headers, 'idempotency-key': 'upload-1' }
  const first = await h.call('POST', '/api/apps/', { payload: upload.payload, headers })
  t.equal(first.statusCode, 202, first.body)
  const after = await h.footprint()
  t.equal(after.uploads.length, 1, 'the first upload waits for the reactor')
  for (let retry = 0; retry < 3; retry++) {
    const again = await h.call('POST', '/api/apps/', { payload: upload.payload, headers })
    t.equal(again.statusCode, 202, `not "${again.json().errors?.[0]?.detail}"`)
    t.equal(again.json().data[0].id, first.json().data[0].id)
    t.equal(again.headers['idempotent-replayed'], 'true')
  }
  // Each retry's body is received into a part file first (its checksum is part of the request), removed once
  // the reply is sent.
  await waitUntil('the retries\' part files to be removed', async () => ((await h.footprint()).uploads.length === 1 ? true : undefined))
  t.same(await h.footprint(), after, 'the retries wrote nothing: log, secrets and uploads as after the first')
})

t.test('a refused upload keeps no file', async (t) => {
  const h = await harness(t)
  t.equal((await h.call('POST', '/api/apps/', upload)).statusCode, 202)
  const before = await h.footprint()
  const duplicate = await h.call('POST', '/api/apps/', upload)
  t.same([duplicate.statusCode, duplicate.json().errors[0].detail], [400, 'The specified file name already exists.'])
  t.same(await h.footprint(), before)
})

t.test("another owner's refused delete of an application leaves its owner's token", async (t) => {
  const h = await harness(t)
  const created = await h.call('POST', '/api/apps/', upload)
  const id = created.json().data[0].id as string
  t.equal(await h.service.secrets.get(id, 'owner-token'), h.alice.token)
  const before = await h.footprint()
  t.equal((await h.call('DELETE', `/api/apps/${id}/`, { token: h.bob.token })).statusCode, 404)
  t.equal((await h.call('DELETE', `/api/apps/${randomUUID()}/`)).statusCode, 404, 'an unknown id')
  t.same(await h.footprint(), before, 'no secret replaced or added')
  t.equal(await h.service.secrets.get(id, 'owner-token'), h.alice.token)
})

t.test("refused instance commands keep no token; accepted ones keep one per instance, replaced", async (t) => {
  const h = await harness(t)
  const headers = { 'idempotency-key': 'create-once' }
  const replies = []
  for (let i = 0; i < 10; i++) replies.push(await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers }))
  t.same(new Set(replies.map((r) => r.statusCode)), new Set([202]))
  const id = replies[0]!.json().data[0].id as string
  t.same((await h.footprint()).secrets.map((row) => row.split(' ').slice(0, 2).join(' ')), [`${id} owner-token`], 'one token for ten tries')

  const theirs = randomUUID()
  await h.given(theirs, requestedBy(h.bob.id, 'theirs'), statusChanged('0'))
  const before = await h.footprint()
  t.equal((await h.call('POST', `/api/lambda-instances/${theirs}/`, { payload: { action: 'stop' } })).statusCode, 404)
  t.equal((await h.call('DELETE', `/api/lambda-instances/${theirs}/`)).statusCode, 404)
  t.equal((await h.call('POST', `/api/lambda-instances/${id}/`, { payload: { action: 'dance' } })).statusCode, 400)
  t.equal((await h.call('POST', `/api/apps/${randomUUID()}/deploy/`, { payload: { lambda_instance_id: theirs } })).statusCode, 404)
  t.same(await h.footprint(), before, 'nothing written by the refused commands')
})
