import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Type } from 'typebox'
import type { Operations } from './operations.js'
import { errors } from './schemas.js'

// GET /metrics in the Prometheus text format: request counts and latencies by route, the log's position, each
// read model's position and lag, and the reactor jobs by state. One registry per app (tests build many apps in
// one process; the global registry would refuse the second set of metrics).

const docs = {
  summary: 'Prometheus metrics',
  description:
    'lod_http_requests_total and lod_http_request_duration_seconds by method, route and status; lod_event_log_position; ' +
    'lod_projection_position and lod_projection_lag_events by read model; lod_reactor_jobs by state; lod_webhook_delivery_attempts_total by outcome and lod_webhook_delivery_lag_seconds; Node.js process metrics.',
  tags: ['operations'],
  authenticated: false,
  response: {
    200: {
      description: 'Prometheus text exposition format 0.0.4.',
      content: { 'text/plain': { schema: Type.String() } },
    },
    ...errors(405),
  },
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC); on by default. */
  processMetrics?: boolean
}

/** Installs the request hooks and the /metrics route; call before the routes to measure are registered. */
export function installMetrics(app: FastifyInstance, operations: Operations, options: MetricsOptions = {}): Registry {
  const registry = new Registry()
  const registers = [registry]
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })

  const labelNames = ['method', 'route', 'status'] as const
  const requests = new Counter({ name: 'lod_http_requests_total', help: 'HTTP requests answered.', labelNames, registers })
  const latency = new Histogram({
    name: 'lod_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its reply.',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  new Gauge({
    name: 'lod_event_log_position',
    help: 'Position of the newest event in the log.',
    registers,
    collect() {
      this.set(operations.headPosition())
    },
  })
  new Gauge({
    name: 'lod_projection_position',
    help: 'Position of the last event each read model has applied.',
    labelNames: ['projection'],
    registers,
    collect() {
      for (const { name, position } of operations.readModels()) this.set({ projection: name }, position)
    },
  })
  new Gauge({
    name: 'lod_projection_lag_events',
    help: 'Events committed to the log that a read model has not applied yet.',
    labelNames: ['projection'],
    registers,
    collect() {
      const head = operations.headPosition()
      for (const { name, position } of operations.readModels()) this.set({ projection: name }, Math.max(0, head - position))
    },
  })
  new Gauge({
    name: 'lod_reactor_jobs',
    help: 'Reactor jobs by state.',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset()
      for (const [state, count] of Object.entries(operations.reactorJobs() ?? {})) this.set({ state }, count)
    },
  })

  // The series of each method, route and status, found once: prom-client would otherwise hash the labels twice on
  // every request. There are as many as routes × methods × statuses, a bounded number.
  const series = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>()
  // Callback-style: every request runs it, and an async hook costs each a promise and a microtask more.
  app.addHook('onResponse', (request, reply, done) => {
    // The route's pattern, not the path, so that ids do not make a time series each.
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${reply.statusCode} ${route}`
    let found = series.get(key)
    if (!found) {
      const labels = { method: request.method, route, status: String(reply.statusCode) }
      found = { count: requests.labels(labels), duration: latency.labels(labels) }
      series.set(key, found)
    }
    found.count.inc()
    found.duration.observe(reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', { config: { docs } }, async (_request, reply) =>
    reply.type(registry.contentType).send((await registry.metrics()) + ((await operations.moreMetrics?.()) ?? '')),
  )
  return registry
}
