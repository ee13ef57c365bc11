import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import fastifyAuth from '@fastify/auth'
import fastifyFormbody from '@fastify/formbody'
import fastifyMultipart from '@fastify/multipart'
import { installAuth, type AuthDeps } from './plugins/auth.js'
import { installErrorHandling } from './plugins/errors.js'
import { instanceRoutes } from './routes/instances.js'
import { statusInstanceRoutes } from './routes/status-instances.js'
import { okeanosInfoRoutes } from './routes/okeanos-info.js'
import type { Services } from './services.js'

export interface AppDeps extends AuthDeps {
  services: Services
  /** Largest accepted body of a command, in bytes. */
  bodyLimit?: number
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
}

export const redactedPaths = ['req.headers.authorization', 'headers.authorization', 'token']

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024
  const app = Fastify({
    logger: deps.logger ?? false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    bodyLimit,
    trustProxy: deps.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { allErrors: true } },
    // Errors raised before routing: an over-long path segment can only be a malformed id.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 404 : 400
      const detail = status === 404 ? 'Not found.' : 'Malformed request URL.'
      return reply.code(status).send({ errors: [{ status, detail }] })
    },
  })
  // Only JSON and forms are bodies here; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain')
  // The original's clients send `Content-Type: application/json` with no body on DELETE (seed 002): an empty
  // JSON body is no body, not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' || body.length === 0 ? done(null, undefined) : parseJson(request, body as string, done),
  )
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  installErrorHandling(app)
  await app.register(fastifyAuth)
  installAuth(app, deps)

  // Command endpoints take JSON, forms and multipart forms alike (the seeds' curl examples use -F).
  await app.register(async (api) => {
    await api.register(fastifyFormbody, { bodyLimit })
    await api.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fieldSize: bodyLimit, fields: 100, files: 0, parts: 101 },
    })
    await api.register(instanceRoutes, { services: deps.services })
    await api.register(statusInstanceRoutes, { services: deps.services })
    await api.register(okeanosInfoRoutes, { services: deps.services })
  })

  app.answerWrongMethods()
  return app
}
