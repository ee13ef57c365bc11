import t from 'tap'
import { randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import { createBody, requestedBy, startHarness, statusChanged, type Harness } from '../../support/harness.js'
import { instanceStream } from '../../../src/instances/events.js'

// Links come from the public URL (or a trusted proxy's forwarded headers), never from the client's Host; a
// malformed Host is a 400; a client's request id enters the audit trail only when it is short and plain.

async function withInstances(h: Harness, n: number) {
  for (let i = 0; i < n; i++) await h.given(randomUUID(), requestedBy(h.alice.id, `i${i}`), statusChanged('0'))
}

/** Sends `head` (request line and headers) and `body` over a socket of its own: an HTTP client would set Host itself. */
function rawRequest(url: URL, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`),
    )
    let text = ''
    socket.on('data', (chunk) => (text += chunk))
    socket.on('end', () => resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) }))
    socket.on('error', reject)
  })
}

t.test('a malformed Host is a 400 with the envelope, on every route', async (t) => {
  const h = await startHarness(t)
  await withInstances(h, 3)
  for (const host of ['[', 'a b', 'x:99999', 'evil.example/path', 'a@b']) {
    for (const url of ['/api/lambda-instances/?limit=1&offset=1', '/api/apps/?limit=1', '/api/lambda_instances/?limit=1', '/healthz']) {
      const res = await h.call('GET', url, { headers: { host } })
      t.same([res.statusCode, res.json()], [400, { errors: [{ status: 400, detail: 'Malformed Host header.' }] }], `${host} ${url}`)
    }
  }
})

t.test('an empty Host over a real socket is a 400', async (t) => {
  const h = await startHarness(t)
  const url = new URL(await h.service.app.listen({ port: 0, host: '127.0.0.1' }))
  const { status } = await rawRequest(url, `GET /api/lambda-instances/?limit=1 HTTP/1.1\r\nHost: \r\nAuthorization: Token ${h.alice.token}`)
  t.equal(status, 400)
})

t.test("a foreign Host is never echoed into links: they start at the public URL", async (t) => {
  const h = await startHarness(t, { publicUrl: 'https://lod.example.org/' })
  await withInstances(h, 3)
  const evil = { host: 'evil.example' }
  const created = (await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: evil })).json().data[0]
  t.equal(created.links.self, `https://lod.example.org/api/lambda-instances/${created.id}`)
  const page = (await h.call('GET', '/api/lambda-instances/?limit=1&offset=1', { headers: evil })).json().pagination
  t.same(page, {
    count: 4,
    next: 'https://lod.example.org/api/lambda-instances/?limit=1&offset=2',
    previous: 'https://lod.example.org/api/lambda-instances/?limit=1',
  })
  const sneaky = (await h.call('GET', '//evil.example/api/lambda-instances/?limit=1', { headers: evil })).json().pagination
  if (sneaky) t.match(sneaky.next, /^https:\/\/lod\.example\.org\//)
})

t.test('the listen address is the default public URL', async (t) => {
  const h = await startHarness(t)
  const url = await h.service.app.listen({ port: 0, host: '127.0.0.1' })
  const res = await rawRequest(
    new URL(url),
    `POST /api/lambda-instance/ HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Token ${h.alice.token}\r\nContent-Type: application/json`,
    JSON.stringify(createBody),
  )
  const created = (JSON.parse(res.body) as { data: Array<{ id: string; links: { self: string } }> }).data[0]!
  t.equal(created.links.self, `${url}/api/lambda-instances/${created.id}`)
})

t.test('behind a trusted proxy, links follow the forwarded host and protocol', async (t) => {
  const h = await startHarness(t, { trustProxy: true, publicUrl: 'https://lod.example.org' })
  const forwarded = { 'x-forwarded-host': 'gateway.example', 'x-forwarded-proto': 'https' }
  const created = (await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: forwarded })).json().data[0]
  t.equal(created.links.self, `https://gateway.example/api/lambda-instances/${created.id}`)
  const plain = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0]
  t.equal(plain.links.self, `https://lod.example.org/api/lambda-instances/${plain.id}`, 'no forwarded headers: the public URL')
  const bad = await h.call('GET', '/api/lambda-instances/', { headers: { 'x-forwarded-host': 'a b' } })
  t.equal(bad.statusCode, 400)
})

t.test("a client's request id is kept only when short and plain", async (t) => {
  const h = await startHarness(t)
  for (const id of ['x'.repeat(15_000), 'has space', 'new\u2028line', '<script>', 'x'.repeat(65), '']) {
    const res = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: { 'x-request-id': id, 'x-correlation-id': id } })
    t.equal(res.statusCode, 202)
    const [event] = await h.service.log.readStream(instanceStream(res.json().data[0].id))
    t.match(event!.metadata.request_id, /^[0-9a-f-]{36}$/, 'a fresh request id')
    t.equal(event!.metadata.correlation_id, event!.metadata.request_id, 'nor the correlation id')
    t.equal(res.headers['x-request-id'], event!.metadata.request_id)
  }
  const kept = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: { 'x-request-id': 'Req_1.2-3' } })
  t.equal(kept.headers['x-request-id'], 'Req_1.2-3')
})
