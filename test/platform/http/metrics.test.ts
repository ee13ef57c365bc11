import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, startHarness } from '../../support/harness.js'

// /metrics in the Prometheus text format: requests and latencies by route, the log's position, read model
// positions and lag, reactor jobs by state.

t.test('requests are counted by route pattern, method and status', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.given(id, requestedBy(h.alice.id))
  await h.call('GET', `/api/lambda-instances/${id}/`)
  await h.call('GET', `/api/lambda-instances/${randomUUID()}/`)
  await h.call('GET', '/api/nowhere', { token: null })
  const reply = await h.call('GET', '/metrics', { token: null })
  t.equal(reply.statusCode, 200)
  t.match(reply.headers['content-type'], /^text\/plain; version=0.0.4/)
  const text = reply.body
  t.match(text, 'lod_http_requests_total{method="GET",route="/api/lambda-instances/:id",status="200"} 1')
  t.match(text, 'lod_http_requests_total{method="GET",route="/api/lambda-instances/:id",status="404"} 1')
  t.match(text, 'lod_http_requests_total{method="GET",route="unmatched",status="404"} 1')
  t.match(text, 'lod_http_request_duration_seconds_count{method="GET",route="/api/lambda-instances/:id",status="200"} 1')
  t.match(text, 'lod_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/lambda-instances/:id",status="200"} 1')
  t.match(text, 'lod_event_log_position 1')
  t.match(text, 'lod_projection_position{projection="instances"} 1')
  t.match(text, 'lod_projection_lag_events{projection="instances"} 0')
  t.match(text, 'process_cpu_seconds_total', 'Node.js process metrics too')
})

t.test('reactor jobs by state, once the reactors run', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  t.notMatch((await h.call('GET', '/metrics', { token: null })).body, /lod_reactor_jobs\{/)
  Object.assign(h.service, { reactors: { jobCounts: () => ({ queued: 2, running: 1, done: 7, failed: 0 }), close: async () => {} } })
  const text = (await h.call('GET', '/metrics', { token: null })).body
  t.match(text, 'lod_reactor_jobs{state="queued"} 2')
  t.match(text, 'lod_reactor_jobs{state="running"} 1')
  t.match(text, 'lod_reactor_jobs{state="failed"} 0')
})
