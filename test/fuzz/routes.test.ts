import t from 'tap'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { requestedBy, startHarness, statusChanged } from '../support/harness.js'
import { footprintOf } from '../support/footprint.js'
import { tempDir } from '../support/temp-dir.js'
import { waitUntil } from '../support/wait.js'
import { requestArbitrary } from './requests.js'
import { routesOf } from './routes.js'

// Thousands of random and mutated requests against every route (test/fuzz/requests.ts): nothing answers 5xx,
// nothing crashes, every error has the envelope, and a refused request leaves the log, the secret store and the
// uploads folder as they were. The seed is
// fixed so that CI runs the same requests every time; FUZZ_RUNS and FUZZ_SEED explore further.

const runs = Number(process.env.FUZZ_RUNS ?? 4000)
const seed = Number(process.env.FUZZ_SEED ?? 20_161_107)

t.test('no request makes the service fail or a refused one write anything', async (t) => {
  const dataDir = tempDir(t)
  const h = await startHarness(t, { bodyLimit: 64 * 1024, dataDir, synchronous: 'normal' })
  const footprint = () => footprintOf(h.service, dataDir)
  const mine = randomUUID()
  const theirs = randomUUID()
  await h.given(mine, requestedBy(h.alice.id, 'mine'), statusChanged('0'))
  await h.given(theirs, requestedBy(h.bob.id, 'theirs'), statusChanged('1'))
  const routes = await routesOf(h.service.app)
  t.ok(routes.length >= 30, `fuzzing ${routes.length} routes`)
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(requestArbitrary(routes, { tokens: [h.alice.token, h.bob.token], ids: [mine, theirs] }), async (request) => {
      const before = await footprint()
      const patience = new AbortController()
      const res = await Promise.race([
        h.service.app.inject(request).finally(() => patience.abort()),
        sleep(10_000, undefined, { signal: patience.signal }).then(() => {
          throw new Error(`no answer in 10 s: ${request.method} ${request.url}`)
        }, () => undefined as never),
      ])
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode >= 500) throw new Error(`${res.statusCode}: ${res.body.slice(0, 300)}`)
      if (res.statusCode < 400) return
      const after = await footprint()
      if (after.head !== before.head) throw new Error(`a refused request (${res.statusCode}) appended to the log`)
      if (JSON.stringify(after.secrets) !== JSON.stringify(before.secrets)) throw new Error(`a refused request (${res.statusCode}) wrote a secret`)
      // An upload given up on (the client left) removes its part file as it ends, which may be just after the reply.
      await waitUntil(`a refused request's (${res.statusCode}) uploads to be removed`, async () =>
        JSON.stringify((await footprint()).uploads) === JSON.stringify(before.uploads) ? true : undefined, 5_000)
      if (request.method === 'HEAD') return
      const body = res.json() as { errors?: Array<{ status?: unknown; detail?: unknown }> }
      const first = body.errors?.[0]
      if (first?.status !== res.statusCode || !first.detail) throw new Error(`no error envelope: ${res.body.slice(0, 300)}`)
    }),
    { numRuns: runs, seed, endOnFailure: true },
  )
  t.comment(`answers: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`)
  t.ok(statuses.size > 5, 'the requests reached many kinds of answer')
})

// Found by this fuzz: a multipart body that ends inside its file part, without the closing boundary, used to get
// no answer at all (the upload waited forever for a file stream the parser had already given up on).
t.test('a truncated upload gets an answer', async (t) => {
  const h = await startHarness(t)
  const url = await h.service.app.listen({ port: 0, host: '127.0.0.1' })
  const body =
    '--B\r\nContent-Disposition: form-data; name="type"\r\n\r\nbatch\r\n' +
    '--B\r\nContent-Disposition: form-data; name="file"; filename="a.jar"\r\nContent-Type: application/java-archive\r\n\r\nPK\u0003\u0004junk\r\n--B'
  // Over a socket, so that giving up closes it and lets the service stop at once.
  const status = await fetch(`${url}/api/apps/`, {
    method: 'POST',
    headers: { authorization: `Token ${h.alice.token}`, 'content-type': 'multipart/form-data; boundary=B' },
    body,
    signal: AbortSignal.timeout(2_000),
  }).then((response) => response.status, () => 'no answer in 2 s')
  t.equal(status, 400, 'a 400, not silence')
})
