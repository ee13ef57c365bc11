import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { createService } from '../../src/app/service.js'
import { startHarness } from '../support/harness.js'
import { startReceiver } from '../support/webhook-receiver.js'
import { waitUntil } from '../support/wait.js'

// Two nodes on one PostgreSQL, each with its dispatcher and its reactors: a webhook created on one node, statuses
// reported to the other; the receiver gets each status once, in order, whichever node asked for and made each
// delivery.

t.test('on PostgreSQL, two nodes: each status delivered once, in order', async (t) => {
  const secretKey = randomBytes(32)
  const webhooks = { allowPrivate: true, schedule: { firstRetryMs: 20 }, pollMs: 20 }
  const a = await startHarness(t, { postgres: true, secretKey, webhooks, reactors: { worker: 'node-a' } })
  const b = await createService({ dataDir: undefined, databaseUrl: a.databaseUrl!, identityUrl: a.emulator.identityUrl, secretKey, webhooks, reactors: { worker: 'node-b' } })
  t.teardown(() => b.close())
  await a.service.startReactors('http://127.0.0.1:1')
  await b.startReactors('http://127.0.0.1:1')
  const onB = (method: 'POST', url: string, payload: unknown) =>
    b.app.inject({ method, url, payload: payload as object, headers: { authorization: `Token ${a.alice.token}` } })

  const receiver = await startReceiver(t)
  const hook = (await a.call('POST', '/api/webhooks/', { payload: { url: receiver.url } })).json().data[0]
  receiver.secrets.push(hook.secret)
  const id = randomUUID()
  t.equal((await onB('POST', '/api/lambda_instances/', { uuid: id, name: 'two-nodes', instance_info: {}, status: '2' })).statusCode, 202)
  const stages = ['10', '12', '14', '16', '18', '20', '22', '0']
  for (const status of stages) t.equal((await onB('POST', `/api/lambda_instances/${id}/status/`, { status })).statusCode, 202)
  await waitUntil('every status', () => receiver.received.length >= 9)
  // Both nodes' dispatchers and workers are running: nothing more comes.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(receiver.received.map((r) => r.body.data.status.code), ['2', ...stages], 'once each, in order')
  t.ok(receiver.received.every((r) => r.verified), 'signed with the secret both nodes share')
})
