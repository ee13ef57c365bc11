import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, startHarness } from '../../support/harness.js'

// /healthz answers while the process lives; /readyz only once every read model has caught up with the log.

t.test('healthz and readyz answer without a token', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  await h.given(randomUUID(), requestedBy(h.alice.id))
  t.same((await h.call('GET', '/healthz', { token: null })).json(), { status: 'ok' })
  const ready = await h.call('GET', '/readyz', { token: null })
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', log_position: 1, read_models: [{ name: 'instances', position: 1, lag: 0 }] })
})

t.test('readyz is 503 while a read model lags behind the log', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  await h.given(randomUUID(), requestedBy(h.alice.id))
  h.service.runner.db.prepare("UPDATE projection_checkpoints SET position = 0 WHERE name = 'instances'").run()
  const lagging = await h.call('GET', '/readyz', { token: null })
  t.equal(lagging.statusCode, 503)
  t.same(lagging.json(), { errors: [{ status: 503, detail: 'Read models catching up: instances at 0 of 1.' }] })
})
