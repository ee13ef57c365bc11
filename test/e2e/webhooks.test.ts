import t from 'tap'
import { randomUUID } from 'node:crypto'
import { startCluster } from '../support/cluster.js'
import { startHarness, type Harness } from '../support/harness.js'
import { startReceiver } from '../support/webhook-receiver.js'
import { waitUntil } from '../support/wait.js'

// Issue acceptance (webhooks): a real receiver on a local port verifies every signature with the standardwebhooks
// library. The receivers are on 127.0.0.1, so these services allow private destinations; one that does not
// refuses them.

const fast = { allowPrivate: true, schedule: { firstRetryMs: 20 }, pollMs: 20 }

t.test("an instance's statuses arrive signed and in order up to STARTED; another owner sees none of it", async (t) => {
  const c = await startCluster(t, { service: { webhooks: fast } })
  const receiver = await startReceiver(t)
  const created = await c.api('POST', '/api/webhooks/', { url: `${receiver.url}/alice`, events: ['instance.status_changed'] })
  t.equal(created.status, 201)
  const hook = created.json.data[0]
  receiver.secrets.push(hook.secret)
  const bob = c.emulator.users[1]!
  const bobs = await c.api('POST', '/api/webhooks/', { url: `${receiver.url}/bob`, events: ['*'] }, bob.token)
  t.equal(bobs.status, 201)

  const id = await c.create({ slaves: 1 })
  t.equal((await c.waitFor(id, ['STARTED', 'FAILED', 'CLUSTER_FAILED'])).message, 'STARTED')
  const statuses = await c.statuses(id)
  const arrived = await waitUntil('every status delivered', () => {
    const codes = receiver.received.map((r) => r.body.data.status.code)
    return codes.length >= statuses.length && codes
  })
  t.same(arrived, statuses, 'every status, once each, in order')
  t.ok(receiver.received.every((r) => r.verified), 'every signature verifies')
  t.ok(receiver.received.every((r) => r.path === '/alice' && r.body.type === 'instance.status_changed' && r.body.data.instance_id === id))
  t.match(receiver.received.at(-1)!.body, { data: { status: { code: '0', message: 'STARTED', detail: String }, failure_message: '', position: Number } })
  const positions = receiver.received.map((r) => r.body.data.position as number)
  t.same([...positions].sort((a, b) => a - b), positions, 'in log order')
  t.equal(new Set(receiver.received.map((r) => r.id)).size, statuses.length, 'a webhook-id each')

  const deliveries = await c.api('GET', `/api/webhooks/${hook.id}/deliveries/`)
  t.equal(deliveries.json.data.length, statuses.length)
  t.ok(deliveries.json.data.every((d: any) => d.state === 'delivered' && d.attempts.length === 1 && d.attempts[0].http_status === 204))
  t.same(deliveries.json.data.map((d: any) => d.id), receiver.received.map((r) => r.id), 'a delivery is known by its webhook-id')

  t.equal((await c.api('GET', `/api/webhooks/${hook.id}/deliveries/`, undefined, bob.token)).status, 404)
  t.same((await c.api('GET', '/api/webhooks/', undefined, bob.token)).json.data.map((w: any) => w.id), [bobs.json.data[0].id])
  t.same((await c.api('GET', `/api/webhooks/${bobs.json.data[0].id}/deliveries/`, undefined, bob.token)).json.data, [], "bob's webhook got none of alice's")
  const metrics = await (await fetch(`${c.url}/metrics`)).text()
  t.match(metrics, new RegExp(`lod_webhook_delivery_attempts_total\\{outcome="delivered"\\} ${statuses.length}`))
  t.match(metrics, /lod_webhook_delivery_lag_seconds_count \d+/)
})

/** An instance registered through the status family (no job on ~okeanos), then its statuses as its VM reports them. */
async function registered(h: Harness, ...statuses: string[]): Promise<string> {
  const id = randomUUID()
  const reply = await h.call('POST', '/api/lambda_instances/', { payload: { uuid: id, name: 'hooked', instance_info: {}, status: '2' } })
  if (reply.statusCode !== 202) throw new Error(reply.body)
  for (const status of statuses) await report(h, id, status)
  return id
}
const report = async (h: Harness, id: string, status: string) => {
  const reply = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })
  if (reply.statusCode !== 202) throw new Error(reply.body)
}

t.test('503s are retried with the same webhook-id while later deliveries wait; a 4xx fails at once and is delivered again on request', async (t) => {
  const h = await startHarness(t, { webhooks: fast })
  await h.service.startReactors('http://127.0.0.1:1')
  const receiver = await startReceiver(t)
  const hook = (await h.call('POST', '/api/webhooks/', { payload: { url: receiver.url } })).json().data[0]
  receiver.secrets.push(hook.secret)
  // The first delivery is refused twice, as by a receiver briefly down.
  let first: string | undefined
  receiver.answer = (r, nth) => {
    first ??= r.id
    return r.id === first && nth <= 2 ? 503 : 204
  }
  const id = await registered(h, '10', '12')
  const answered = await waitUntil('three deliveries', () => {
    const ok = receiver.received.filter((r, i) => !(r.id === first && receiver.received.slice(0, i + 1).filter((s) => s.id === first).length <= 2))
    return ok.length >= 3 && ok
  })
  t.same(receiver.received.slice(0, 3).map((r) => r.id), [first, first, first], 'the same webhook-id again, before any later one')
  t.same(answered.map((r) => r.body.data.status.code), ['2', '10', '12'], 'then the later ones, in order')
  t.ok(receiver.received.every((r) => r.verified))
  const list = (await h.call('GET', `/api/webhooks/${hook.id}/deliveries/`)).json().data
  t.match(list[0], { id: first, state: 'delivered', attempts: [{ attempt: 1, http_status: 503 }, { attempt: 2, http_status: 503 }, { attempt: 3, http_status: 204, next_attempt_at: null }] })
  t.ok(list[0].attempts[0].next_attempt_at, 'a retry says when it is due')
  const page = (await h.call('GET', `/api/webhooks/${hook.id}/deliveries/?limit=1&offset=1`)).json()
  t.match(page, { data: [{ id: answered[1]!.id }], pagination: { count: 3, next: /offset=2/, previous: /limit=1/ } }, 'paginated')

  // A 410 is the receiver saying no: failed at once; asked again, delivered with the same id.
  receiver.answer = (r) => (r.body.data.status.code === '14' ? 410 : 204)
  await report(h, id, '14')
  const failed = await waitUntil('the delivery to fail', async () => {
    const rows = (await h.call('GET', `/api/webhooks/${hook.id}/deliveries/`)).json().data
    return rows.find((d: any) => d.state === 'failed')
  })
  t.match(failed.attempts, [{ http_status: 410, next_attempt_at: null }])
  receiver.answer = () => 204
  const retry = await h.call('POST', `/api/webhooks/${hook.id}/deliveries/${failed.id}/retry/`)
  t.equal(retry.statusCode, 202, retry.body)
  await waitUntil('the redelivery', async () => (await h.call('GET', `/api/webhooks/${hook.id}/deliveries/`)).json().data.find((d: any) => d.id === failed.id).state === 'delivered')
  t.equal(receiver.received.filter((r) => r.id === failed.id).length, 2, 'sent again, the same webhook-id')
  t.equal((await h.call('POST', `/api/webhooks/${hook.id}/deliveries/${randomUUID()}/retry/`)).statusCode, 404)

  // A rotation: for the overlap both secrets sign, and a receiver that knows only the new one verifies.
  const rotated = (await h.call('POST', `/api/webhooks/${hook.id}/rotate-secret/`)).json().data[0]
  receiver.secrets.splice(0, 1, rotated.secret)
  await report(h, id, '16')
  const last = await waitUntil('the delivery after the rotation', () => receiver.received.find((r) => r.body.data.status.code === '16'))
  t.ok(last.verified, 'verified by the new secret')
  t.equal(String(last.headers['webhook-signature']).split(' ').length, 2, 'signed by both')
})

t.test('a private destination is refused without the setting', async (t) => {
  const h = await startHarness(t)
  const receiver = await startReceiver(t)
  const reply = await h.call('POST', '/api/webhooks/', { payload: { url: receiver.url } })
  t.equal(reply.statusCode, 400)
  t.match(reply.json().errors[0].detail[0], /127\.0\.0\.1 resolves to a loopback, private, link-local/)
  t.same((await h.call('GET', '/api/webhooks/')).json().data, [])
})

t.test("a webhook's filter: application status changes to one, instances' to another; a deleted webhook gets nothing more", async (t) => {
  const h = await startHarness(t, { webhooks: fast })
  await h.service.startReactors('http://127.0.0.1:1')
  const receiver = await startReceiver(t)
  const hook = async (path: string, events: string[]) => {
    const created = (await h.call('POST', '/api/webhooks/', { payload: { url: `${receiver.url}${path}`, events } })).json().data[0]
    receiver.secrets.push(created.secret)
    return created.id as string
  }
  const apps = await hook('/apps', ['application.status_changed'])
  const instances = await hook('/instances', ['instance.status_changed'])
  const app = randomUUID()
  t.equal((await h.call('POST', '/api/lambda_applications/', { payload: { uuid: app, name: 'a.jar', description: '', status: '1' } })).statusCode, 202)
  t.equal((await h.call('POST', `/api/lambda_applications/${app}/status/`, { payload: { status: '2', failure_message: 'no room' } })).statusCode, 202)
  await waitUntil('the application statuses', () => receiver.received.filter((r) => r.path === '/apps').length === 2)
  t.match(receiver.received.filter((r) => r.path === '/apps').map((r) => r.body), [
    { type: 'application.status_changed', data: { application_id: app, status: { code: '1', message: 'UPLOADING' }, failure_message: '' } },
    { type: 'application.status_changed', data: { application_id: app, status: { code: '2', message: 'FAILED' }, failure_message: 'no room' } },
  ])
  t.ok(receiver.received.every((r) => r.verified))

  t.equal((await h.call('DELETE', `/api/webhooks/${instances}/`)).statusCode, 202)
  const id = await registered(h, '10')
  // The application webhook is asked for nothing of the instance; a delivery to it marks that the log was read on.
  await h.call('POST', `/api/lambda_applications/${app}/status/`, { payload: { status: '0' } })
  await waitUntil('the application webhook to be past the instance', () => receiver.received.some((r) => r.body.data.status?.code === '0'))
  t.same(receiver.received.filter((r) => r.path === '/instances'), [], `nothing of instance ${id} to the deleted webhook`)
  t.equal((await h.call('GET', `/api/webhooks/${apps}/deliveries/`)).json().data.length, 3)
})
