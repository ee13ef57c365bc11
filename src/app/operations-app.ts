import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { installErrorHandling } from '../platform/http/errors.js'
import { accessLog } from '../platform/http/logging.js'
import { healthRoutes } from '../platform/http/health.js'
import { installMetrics } from '../platform/http/metrics.js'
import type { Operations } from '../platform/http/operations.js'

// The HTTP server of a process without the public API (`lod reactors`): what orchestrators and Prometheus ask of
// every process, /healthz, /readyz and /metrics, and nothing else.

export interface OperationsAppDeps {
  operations: Operations
  logger?: FastifyServerOptions['logger']
  /** Node.js process metrics on /metrics; on by default. */
  processMetrics?: boolean
}

export async function buildOperationsApp(deps: OperationsAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, logController: accessLog })
  installErrorHandling(app)
  installMetrics(app, deps.operations, { ...(deps.processMetrics !== undefined && { processMetrics: deps.processMetrics }) })
  await app.register(healthRoutes, { operations: deps.operations })
  app.answerWrongMethods()
  return app
}
