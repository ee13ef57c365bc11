import t, { type Test } from 'tap'
import type { ServiceOptions } from '../../../src/app/service.js'
import { createBody, startHarness, type Harness } from '../../support/harness.js'
import { openEventStream, type EventStream } from '../../support/sse-client.js'

// GET /api/lambda-instances/events: every status change of the owner's instances, created before the stream or
// after it, and nothing of another owner's.

async function listening(t: Test, options: Partial<ServiceOptions> = {}) {
  const h = await startHarness(t, { sseHeartbeatMs: 10_000, processMetrics: false, ...options })
  const address = await h.service.app.listen({ port: 0, host: '127.0.0.1' })
  return { h, address }
}

async function create(h: Harness, token = h.alice.token): Promise<string> {
  return (await h.call('POST', '/api/lambda-instance/', { payload: createBody, token })).json().data[0].id
}

const report = (h: Harness, id: string, status: string) =>
  h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })

const watchAll = (address: string, token: string, headers: Record<string, string> = {}) =>
  openEventStream(`${address}/api/lambda-instances/events`, { authorization: `Token ${token}`, ...headers })

async function nextStatus(stream: EventStream) {
  const event = (await stream.next())!
  const data = JSON.parse(event.data)
  return { event: event.event, id: data.id as string, status: data.status.message as string, position: event.id }
}

t.test("an owner's stream tells every status change of their instances, new ones too, and none of another owner's", async (t) => {
  const { h, address } = await listening(t)
  const before = await create(h)
  const bobsBefore = await create(h, h.bob.token)
  const stream = await watchAll(address, h.alice.token)
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /^text\/event-stream/)

  // Bob's instances change first, one made before the stream and one after: alice must see neither.
  await h.call('POST', `/api/lambda_instances/${bobsBefore}/status/`, { payload: { status: '10' }, token: h.bob.token })
  const bobsAfter = await create(h, h.bob.token)
  await report(h, before, '10')
  const created = await create(h)
  await report(h, created, '10')

  const seen = [await nextStatus(stream), await nextStatus(stream), await nextStatus(stream)]
  t.same(
    seen.map(({ event, id, status }) => ({ event, id, status })),
    [
      { event: 'status', id: before, status: 'CLUSTER_CREATED' },
      { event: 'status', id: created, status: 'PENDING' },
      { event: 'status', id: created, status: 'CLUSTER_CREATED' },
    ],
    "alice's changes, in log order, and nothing of bob's",
  )
  t.ok(seen.every((e, i) => i === 0 || Number(e.position) > Number(seen[i - 1]!.position)), 'ids are growing log positions')

  const bobs = await watchAll(address, h.bob.token)
  await report(h, created, '12')
  await h.call('POST', `/api/lambda_instances/${bobsAfter}/status/`, { payload: { status: '12' }, token: h.bob.token })
  t.match(await nextStatus(bobs), { id: bobsAfter, status: 'INIT_DONE' }, 'bob sees his own only')
  t.match(await nextStatus(stream), { id: created, status: 'INIT_DONE' })
  stream.close()
  bobs.close()
})

t.test('reconnecting with a Last-Event-ID replays the changes missed', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  const stream = await watchAll(address, h.alice.token)
  await report(h, id, '10')
  const first = await nextStatus(stream)
  stream.close()
  await report(h, id, '12')
  await create(h, h.bob.token)
  await report(h, id, '14')
  const resumed = await watchAll(address, h.alice.token, { 'last-event-id': first.position! })
  t.same([(await nextStatus(resumed)).status, (await nextStatus(resumed)).status], ['INIT_DONE', 'COMMONS_INSTALLED'])
  resumed.close()
})

t.test('the owner-wide stream takes a slot of the same limits; no token is a 401', async (t) => {
  const { h, address } = await listening(t, { sseMaxStreamsPerOwner: 1 })
  const id = await create(h)
  const one = await openEventStream(`${address}/api/lambda-instances/${id}/events`, { authorization: `Token ${h.alice.token}` })
  t.equal(one.status, 200)
  const refused = await fetch(`${address}/api/lambda-instances/events`, { headers: { authorization: `Token ${h.alice.token}` } })
  t.equal(refused.status, 429)
  t.equal((await refused.json()).errors[0].status, 429)
  one.close()
  const anonymous = await fetch(`${address}/api/lambda-instances/events`)
  t.equal(anonymous.status, 401)
  t.match(await anonymous.json(), { errors: [{ status: 401 }] })
})
