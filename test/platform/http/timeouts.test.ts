import t, { type Test } from 'tap'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ServiceOptions } from '../../../src/app/service.js'
import { createBody, startHarness } from '../../support/harness.js'
import { openEventStream } from '../../support/sse-client.js'

// Over a real socket, a client that trickles its request is cut off: its headers, a command's body (whether or
// not its token is valid), and an idle connection after a reply. A Server-Sent Events stream, idle longer than
// all of these but heartbeated, stays open. The limits are set small here; their defaults are in
// src/platform/http/timeouts.ts. (Uploads: test/applications/routes/upload.test.ts.)

// A long keep-alive timeout, unless a test is about it: after a refusal it would also close a trickling
// connection, which must be closed by the body timeout.
const small = { headersMs: 1000, bodyMs: 2000, keepAliveMs: 60_000 }
/** Node checks its limits every second: a cut may come that much after the limit, and the test a little later. */
const slack = 3000

async function listening(t: Test, options: Partial<ServiceOptions> = {}) {
  const h = await startHarness(t, { processMetrics: false, timeouts: small, ...options })
  const address = await h.service.app.listen({ port: 0, host: '127.0.0.1' })
  return { h, address, port: Number(new URL(address).port) }
}

interface Connection {
  socket: Socket
  /** What the service sent, once it closed the connection; if it did not within `withinMs`, 'still open' (and
   *  the connection is closed here, or closing the service would wait for it). */
  closed(withinMs: number): Promise<string>
}

function open(port: number, head = ''): Connection {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  let got = ''
  socket.on('data', (chunk: Buffer) => (got += chunk.toString()))
  const close = new Promise<string>((resolve) => socket.on('close', () => resolve(got)))
  if (head) socket.write(head)
  return {
    socket,
    closed: (withinMs) =>
      Promise.race([
        close,
        sleep(withinMs).then(() => {
          socket.destroy()
          return 'still open'
        }),
      ]),
  }
}

/** One byte a second, for as long as the connection is open. */
function trickle(connection: Connection, byte = ' ') {
  const timer = setInterval(() => connection.socket.write(byte), 1000)
  connection.socket.on('close', () => clearInterval(timer))
}

/** The head of a create command announcing a body of 1000 bytes. */
const createHead = (port: number, token: string | null) =>
  `POST /api/lambda-instance/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
  (token === null ? '' : `Authorization: Token ${token}\r\n`) +
  'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n'

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))

t.test('a command body trickled one byte a second is cut at the body timeout with a 408', async (t) => {
  const { h, port } = await listening(t)
  const connection = open(port, createHead(port, h.alice.token))
  connection.socket.write('{"project_name": ')
  trickle(connection)
  const response = await connection.closed(small.bodyMs + slack)
  t.match(response, /^HTTP\/1\.1 408 /, response)
  t.match(response, /\r\nconnection: close\r\n/i)
  t.same(bodyOf(response), {
    errors: [{ status: 408, detail: 'The request body did not arrive within 2 s; it was abandoned. Send the whole body at once.' }],
  })
})

t.test('a refused token does not keep the connection for the rest of a trickled body', async (t) => {
  const { port } = await listening(t)
  for (const token of ['not-a-valid-token', null]) {
    const connection = open(port, createHead(port, token))
    trickle(connection)
    const response = await connection.closed(small.bodyMs + slack)
    t.match(response, /^HTTP\/1\.1 401 /, `${token ?? 'no token'}: refused, and the connection closed: ${response}`)
    t.equal(bodyOf(response).errors[0].status, 401)
  }
})

t.test('headers trickled one byte a second are cut at the headers timeout with a 408', async (t) => {
  const { port } = await listening(t)
  const connection = open(port, `GET /api/lambda-instances/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`)
  trickle(connection, 'x')
  const response = await connection.closed(small.headersMs + slack)
  t.match(response, /^HTTP\/1\.1 408 /, response)
  t.same(bodyOf(response).errors[0].status, 408)
  t.match(bodyOf(response).errors[0].detail, /did not arrive in time/)

  const silent = open(port)
  t.not(await silent.closed(small.headersMs + slack), 'still open', 'a connection that sends nothing is closed too')
})

t.test('what Node refuses before the routes is answered with the error envelope too', async (t) => {
  const { port } = await listening(t)
  const response = await open(port, 'NOT HTTP AT ALL\r\n\r\n').closed(slack)
  t.match(response, /^HTTP\/1\.1 400 /, response)
  t.same(bodyOf(response), { errors: [{ status: 400, detail: 'Malformed HTTP request.' }] })
})

t.test('an idle connection is closed after the keep-alive timeout', async (t) => {
  const { port } = await listening(t, { timeouts: { ...small, keepAliveMs: 1000 } })
  const connection = open(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
  const response = await connection.closed(1000 + slack)
  t.match(response, /^HTTP\/1\.1 200 /, 'answered first')
  t.not(response, 'still open')
})

t.test('a heartbeated event stream idle longer than every timeout stays open, while a trickling body is cut', async (t) => {
  const { h, address, port } = await listening(t, { sseHeartbeatMs: 300, timeouts: { ...small, keepAliveMs: 1000 } })
  const id = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id
  const stream = await openEventStream(`${address}/api/lambda-instances/${id}/events`, { authorization: `Token ${h.alice.token}` })
  t.equal(stream.status, 200)
  t.equal(JSON.parse((await stream.next())!.data).status.message, 'PENDING')

  const trickling = open(port, createHead(port, h.alice.token))
  trickle(trickling)
  t.match(await trickling.closed(small.bodyMs + slack), /^HTTP\/1\.1 408 /, 'the timeouts are in force')
  // Idle (but for the heartbeats) for longer than the headers, body and keep-alive timeouts together.
  await sleep(small.headersMs + 1000)

  await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '10' } })
  const next = await stream.next()
  t.equal(next && JSON.parse(next.data).status.message, 'CLUSTER_CREATED', 'the stream still delivers')
  t.ok(stream.comments.filter((c) => c === 'heartbeat').length >= 5, `heartbeats: ${stream.comments.length}`)
  stream.close()
})
