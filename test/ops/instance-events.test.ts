import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { createBody, startHarness, statusChanged, type Harness } from '../support/harness.js'
import { openEventStream } from './sse-client.js'

// GET /api/lambda-instances/{id}/events over a real HTTP server and a streaming client: the current status first,
// then every change as the service VM reports it, until DESTROYED.

const installStages = ['10', '12', '14', '16', '18', '20', '22', '0']

async function listening(t: Test, heartbeatMs = 10_000) {
  const h = await startHarness(t, { sseHeartbeatMs: heartbeatMs, processMetrics: false })
  const address = await h.service.app.listen({ port: 0, host: '127.0.0.1' })
  return { h, address }
}

async function create(h: Harness): Promise<string> {
  return (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id
}

const watch = (address: string, id: string, token: string, headers: Record<string, string> = {}) =>
  openEventStream(`${address}/api/lambda-instances/${id}/events`, { authorization: `Token ${token}`, ...headers })

t.test('a client that connected while the instance was PENDING receives every status up to STARTED, then the end', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  const stream = await watch(address, id, h.alice.token)
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /^text\/event-stream/)
  const first = await stream.next()
  t.same(JSON.parse(first!.data).status, { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' })
  t.equal(first!.event, 'status')

  // The service VM reports its install stages only now, after the client connected.
  for (const status of installStages) {
    const reply = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })
    t.equal(reply.statusCode, 202)
  }
  const received: string[] = []
  for (let i = 0; i < installStages.length; i++) received.push(JSON.parse((await stream.next())!.data).status.message)
  t.same(received, ['CLUSTER_CREATED', 'INIT_DONE', 'COMMONS_INSTALLED', 'HADOOP_INSTALLED', 'KAFKA_INSTALLED', 'FLINK_INSTALLED', 'FLUME_INSTALLED', 'STARTED'])

  // The destroy, and its end as the destroy reactor (not running here) would record it.
  await h.call('DELETE', `/api/lambda-instances/${id}/`)
  t.equal(JSON.parse((await stream.next())!.data).status.message, 'DESTROYING')
  await h.given(id, statusChanged('6'))
  const last = await stream.next()
  t.equal(JSON.parse(last!.data).status.message, 'DESTROYED')
  t.equal(await stream.next(), undefined, 'the server ends the stream after DESTROYED')
})

t.test('event ids are log positions: reconnecting with Last-Event-ID replays what was missed', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  const stream = await watch(address, id, h.alice.token)
  const pending = (await stream.next())!
  stream.close()
  for (const status of ['10', '12']) await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })
  const resumed = await watch(address, id, h.alice.token, { 'last-event-id': pending.id! })
  const missed = [(await resumed.next())!, (await resumed.next())!]
  t.same(missed.map((e) => JSON.parse(e.data).status.message), ['CLUSTER_CREATED', 'INIT_DONE'])
  t.ok(Number(missed[0]!.id) > Number(pending.id), 'ids grow with the log')
  resumed.close()
})

t.test('heartbeats keep an idle stream alive through proxies', async (t) => {
  const { h, address } = await listening(t, 30)
  const id = await create(h)
  const stream = await watch(address, id, h.alice.token)
  t.equal(stream.headers.get('x-accel-buffering'), 'no')
  t.equal(stream.headers.get('cache-control'), 'no-cache, no-transform')
  await stream.next()
  await new Promise((resolve) => setTimeout(resolve, 120))
  await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '10' } })
  await stream.next()
  t.ok(stream.comments.filter((c) => c === 'heartbeat').length >= 2, `heartbeats: ${stream.comments.length}`)
  stream.close()
})

t.test('only the owner may watch: another owner, a missing id and no token are refused with the envelope', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  for (const [url, token, status] of [
    [`${address}/api/lambda-instances/${id}/events`, h.bob.token, 404],
    [`${address}/api/lambda-instances/${randomUUID()}/events`, h.alice.token, 404],
    [`${address}/api/lambda-instances/not-a-uuid/events`, h.alice.token, 404],
  ] as const) {
    const reply = await fetch(url, { headers: { authorization: `Token ${token}` } })
    t.equal(reply.status, status)
    t.equal((await reply.json()).errors[0].status, status)
  }
  t.equal((await fetch(`${address}/api/lambda-instances/${id}/events`)).status, 401)
})

t.test('closing the service ends open streams', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  const stream = await watch(address, id, h.alice.token)
  await stream.next()
  await h.service.app.close()
  t.equal(await stream.next(), undefined)
})

t.test('a client that already saw DESTROYED is told nothing more, and the stream ends', async (t) => {
  const { h, address } = await listening(t)
  const id = await create(h)
  await h.call('DELETE', `/api/lambda-instances/${id}/`)
  await h.given(id, statusChanged('6'))
  const stream = await watch(address, id, h.alice.token)
  const destroyed = (await stream.next())!
  t.equal(JSON.parse(destroyed.data).status.message, 'DESTROYED')
  t.equal(await stream.next(), undefined)
  const again = await watch(address, id, h.alice.token, { 'last-event-id': destroyed.id! })
  t.equal(await again.next(), undefined)
})
