import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { demoUsers, fastDelays, startEmulator } from '../../src/okeanos/emulator/index.js'
import { freePort, startLod } from '../support/lod-process.js'
import { startReceiver } from '../support/webhook-receiver.js'
import { waitUntil } from '../support/wait.js'

// The service is killed (SIGKILL) while a delivery is on its way (the receiver holds the request), and started
// again on the same data: the delivery is sent again with the same webhook-id, the later ones, which waited behind
// it, follow in order, and none is lost or asked for twice.

t.test('SIGKILL mid-delivery, then a restart: the delivery resumes and none is lost', async (t) => {
  const emulator = await startEmulator({ users: demoUsers(), delays: fastDelays })
  t.teardown(() => emulator.close())
  const alice = emulator.users[0]!
  const port = await freePort()
  const env = {
    ...process.env,
    PORT: String(port),
    LOD_DATA_DIR: t.testdir(),
    LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_LOG_LEVEL: 'silent',
    LOD_REACTOR_POLL_MS: '50',
    LOD_WEBHOOKS_ALLOW_PRIVATE: 'true',
    LOD_WEBHOOK_RETRY_BASE_MS: '50',
  }
  let child: ChildProcess | undefined
  t.teardown(() => child?.kill('SIGKILL'))
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Token ${alice.token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: response.status, json: await response.json() }
  }
  const receiver = await startReceiver(t)
  // The delivery of status 12 is held unanswered the first time: the service is killed meanwhile.
  receiver.answer = (r, nth) => (r.body.data.status.code === '12' && nth === 1 ? new Promise<number>(() => {}) : 204)

  child = await startLod('serve', env, 'is listening on')
  const hook = (await api('POST', '/api/webhooks/', { url: receiver.url })).json.data[0]
  receiver.secrets.push(hook.secret)
  const id = randomUUID()
  t.equal((await api('POST', '/api/lambda_instances/', { uuid: id, name: 'crashing', instance_info: {}, status: '2' })).status, 202)
  for (const status of ['10', '12', '14', '16']) t.equal((await api('POST', `/api/lambda_instances/${id}/status/`, { status })).status, 202)
  await waitUntil('the delivery of 12 to be on its way', () => receiver.received.some((r) => r.body.data.status.code === '12'))
  child.kill('SIGKILL')
  await new Promise((resolve) => child!.once('exit', resolve))
  const codes = () => receiver.received.map((r) => r.body.data.status.code)
  t.same(codes(), ['2', '10', '12'], 'killed mid-delivery; the later ones wait behind it')

  child = await startLod('serve', env, 'is listening on')
  await waitUntil('every delivery', () => codes().includes('16'))
  t.same(codes(), ['2', '10', '12', '12', '14', '16'], 'the held one again, then the rest in order')
  const twelve = receiver.received.filter((r) => r.body.data.status.code === '12')
  t.equal(twelve[0]!.id, twelve[1]!.id, 'the same webhook-id: a redelivery the receiver can recognize')
  t.ok(receiver.received.every((r) => r.verified), 'every signature verifies (the secret survived the restart)')
  const deliveries = await waitUntil('the deliveries to be listed as delivered', async () => {
    const rows = (await api('GET', `/api/webhooks/${hook.id}/deliveries/`)).json.data as Array<{ state: string }>
    return rows.every((d) => d.state === 'delivered') && rows
  })
  t.equal(deliveries.length, 5, 'each asked for once, across the restart')
})
