import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Operations } from './operations.js'
import { errors } from './schemas.js'

// /healthz: the process answers. /readyz: it may take traffic, because every read model has caught up with the
// log (a GET would otherwise miss acknowledged commands). Both public, for load balancers and orchestrators.

const ReadModels = Type.Array(Type.Object({ name: Type.String(), position: Type.Integer(), lag: Type.Integer() }))

const healthDocs = {
  summary: 'Liveness: the process answers',
  tags: ['operations'],
  authenticated: false,
  response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errors(405) },
}

const readyDocs = {
  summary: 'Readiness: every read model has caught up with the event log',
  tags: ['operations'],
  authenticated: false,
  response: {
    200: Type.Object({ status: Type.Literal('ready'), log_position: Type.Integer(), read_models: ReadModels }),
    ...errors(405, 503),
  },
}

export async function healthRoutes(app: FastifyInstance, { operations }: { operations: Operations }) {
  app.get('/healthz', { config: { docs: healthDocs } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { config: { docs: readyDocs } }, async (_request, reply) => {
    const head = operations.headPosition()
    const readModels = operations.readModels().map(({ name, position }) => ({ name, position, lag: Math.max(0, head - position) }))
    const behind = readModels.filter((model) => model.lag > 0)
    if (behind.length === 0 && operations.readModelsHealthy()) return { status: 'ready', log_position: head, read_models: readModels }
    const detail =
      behind.length > 0
        ? `Read models catching up: ${behind.map((m) => `${m.name} at ${m.position} of ${head}`).join(', ')}.`
        : 'Read models are recovering from a failed batch.'
    return reply.code(503).send({ errors: [{ status: 503, detail }] })
  })
}
