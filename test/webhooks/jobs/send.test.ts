import t, { type Test } from 'tap'
import { createServer, type RequestListener } from 'node:http'
import { send } from '../../../src/webhooks/jobs/send.js'
import { freePort } from '../../support/lod-process.js'

// One attempt against a real local server: redirects are answers (never followed), a receiver that does not answer
// is given up on at the deadline, a large answer is not read whole, and a private address is refused at delivery,
// by the address the host resolves to then (DNS rebinding), before anything is sent.

async function server(t: Test, handler: RequestListener) {
  let requests = 0
  const s = createServer((request, response) => {
    requests++
    handler(request, response)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  }))
  return { port: (s.address() as { port: number }).port, requests: () => requests }
}

const allowed = { timeoutMs: 2000, allowPrivate: true }

t.test('a redirect is an answer, not followed', async (t) => {
  const target = await server(t, (_q, r) => r.writeHead(204).end())
  const s = await server(t, (_q, r) => r.writeHead(302, { location: `http://127.0.0.1:${target.port}/` }).end('moved'))
  const result = await send(new URL(`http://127.0.0.1:${s.port}/`), {}, '{}', allowed)
  t.match(result, { httpStatus: 302, error: 'moved' })
  t.equal(target.requests(), 0, 'the redirect was not followed')
})

t.test('no answer within the deadline, a refused connection: no status, and why', async (t) => {
  const s = await server(t, () => {})
  t.match(await send(new URL(`http://127.0.0.1:${s.port}/`), {}, '{}', { ...allowed, timeoutMs: 200 }), { httpStatus: null, error: 'No answer within 0.2 s.' })
  t.match(await send(new URL(`http://127.0.0.1:${await freePort()}/`), {}, '{}', allowed), { httpStatus: null, error: /ECONNREFUSED/ })
})

t.test('a large answer is read only in part', async (t) => {
  const s = await server(t, (_q, r) => {
    r.writeHead(500)
    const chunk = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 64; i++) r.write(chunk)
    r.end()
  })
  const result = await send(new URL(`http://127.0.0.1:${s.port}/`), {}, '{}', allowed)
  t.equal(result.httpStatus, 500)
  t.equal(result.error.length, 500, 'the start of it, as the error')
})

t.test('a private address is refused at delivery, a literal one or one a name resolves to, before anything is sent', async (t) => {
  const s = await server(t, (_q, r) => r.writeHead(204).end())
  const strict = { timeoutMs: 2000, allowPrivate: false }
  t.match(await send(new URL(`http://127.0.0.1:${s.port}/`), {}, '{}', strict), { httpStatus: null, error: /not a public address/ })
  t.match(await send(new URL(`http://localhost:${s.port}/`), {}, '{}', strict), { httpStatus: null, error: /localhost resolves to a non-public address: not sent/ })
  t.equal(s.requests(), 0)
  t.match(await send(new URL(`http://localhost:${s.port}/`), { 'webhook-id': 'x' }, '{}', allowed), { httpStatus: 204, error: '' }, 'allowed by the setting')
})
