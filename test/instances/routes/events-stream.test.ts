import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { ServiceOptions } from '../../../src/app/service.js'
import { createBody, startHarness, statusChanged, type Harness } from '../../support/harness.js'
import { waitUntil } from '../../support/wait.js'
import { openEventStream } from '../../support/sse-client.js'

// GET /api/lambda-instances/{id}/events over a real HTTP server and a streaming client: the current status first,
// then every change as the service VM reports it, until DESTROYED.

const installStages = ['10', '12', '14', '16', '18', '20', '22', '0']

async function listening(t: Test, heartbeatMs = 10_000, options: Partial<ServiceOptions> = {}) {
  const h = await startHarness(t, { sseHeartbeatMs: heartbeatMs, processMetrics: false, ...options })
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

t.test('open streams are limited per owner (429) and in all (503); a stream that ends frees its slot', async (t) => {
  const { h, address } = await listening(t, 10_000, { sseMaxStreamsPerOwner: 2, sseMaxStreams: 3 })
  const [a1, a2, a3] = [await create(h), await create(h), await create(h)]
  const refused = async (id: string, token: string) => {
    const reply = await fetch(`${address}/api/lambda-instances/${id}/events`, { headers: { authorization: `Token ${token}` } })
    // Not refused: a stream, which would not end.
    if (reply.status === 200) return void (await reply.body?.cancel())
    return { status: reply.status, retryAfter: reply.headers.get('retry-after'), body: await reply.json() }
  }

  const first = await watch(address, a1, h.alice.token)
  const second = await watch(address, a2, h.alice.token)
  t.same([first.status, second.status], [200, 200])
  t.same(await refused(a3, h.alice.token), {
    status: 429,
    retryAfter: null,
    body: { errors: [{ status: 429, detail: 'You already have 2 event streams open, the most allowed; close one before opening another.' }] },
  })

  const bobs = (await h.call('POST', '/api/lambda-instance/', { payload: createBody, token: h.bob.token })).json().data[0].id
  const third = await watch(address, bobs, h.bob.token)
  t.equal(third.status, 200, 'another owner has a share of his own')
  t.same(await refused(bobs, h.bob.token), {
    status: 503,
    retryAfter: '10',
    body: { errors: [{ status: 503, detail: 'Too many event streams are open on this server; try again later.' }] },
  })

  // The client leaves: its slot is free once the service has seen it go.
  first.close()
  const again = await waitUntil('the slot freed', async () => {
    const stream = await watch(address, a3, h.alice.token)
    if (stream.status === 200) return stream
    stream.close()
    return undefined
  })
  t.pass('a closed stream frees its slot')

  // The stream ends after DESTROYED: its slot is free too.
  await again.next()
  // As the destroy reactor would end it (this harness runs none).
  await h.call('DELETE', `/api/lambda-instances/${a3}/`)
  await h.given(a3, statusChanged('6'))
  for (let event = await again.next(); event; event = await again.next());
  // Refusals (a missing instance) take no slot either.
  for (let i = 0; i < 3; i++) t.equal((await refused(randomUUID(), h.alice.token))?.status, 404)
  const last = await watch(address, a1, h.alice.token)
  t.equal(last.status, 200, 'the destroyed stream and the refusals left a slot')
  for (const stream of [second, third, last]) stream.close()
})
