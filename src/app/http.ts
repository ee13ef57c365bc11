import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import fastifyMultipart from '@fastify/multipart'
import { installAuth, type AuthDeps } from '../platform/http/auth.js'
import { installErrorHandling } from '../platform/http/errors.js'
import { installLinks } from '../platform/http/links.js'
import { accessLog } from '../platform/http/logging.js'
import { installMetrics } from '../platform/http/metrics.js'
import { installOpenApi } from '../platform/http/openapi.js'
import { installReadYourWrites, type ReadModelProgress } from '../platform/http/read-your-writes.js'
import type { Operations } from '../platform/http/operations.js'
import { bodyDeadline, defaultTimeouts, installBodyTimeout, serverTimeoutOptions, type RequestTimeouts } from '../platform/http/timeouts.js'
import { healthRoutes } from '../platform/http/health.js'
import {
  historyRoutes,
  instanceEventRoutes,
  instanceQueryRoutes,
  instanceRoutes,
  okeanosInfoRoutes,
  statusInstanceRoutes,
  type InstanceServices,
  type OkeanosConnect,
} from '../instances/index.js'
import { consoleRoutes } from '../console/index.js'
import { appRoutes, appUploadRoutes, statusApplicationRoutes, type ApplicationServices } from '../applications/index.js'
import { deliveryRoutes, webhookRoutes, type WebhookServices } from '../webhooks/index.js'

export interface AppDeps extends AuthDeps {
  instanceServices: InstanceServices
  applicationServices: ApplicationServices
  webhookServices: WebhookServices
  /** A ~okeanos client acting with the user's token (the create form's choices read through it). */
  okeanos: OkeanosConnect
  /** What /healthz, /readyz and /metrics report. */
  operations: Operations
  /** How far this node's read models are: the GETs they answer wait for them (read-your-writes.ts). */
  readModelProgress: ReadModelProgress
  /** How long such a GET waits before a 503; 2 s by default. */
  readWaitMs?: number
  /** Time between the heartbeats of a Server-Sent Events stream; 15 s by default. */
  sseHeartbeatMs?: number
  /** Server-Sent Events streams open at once, of one owner and in all; 20 and 1000 by default. */
  sseMaxStreamsPerOwner?: number
  sseMaxStreams?: number
  /** How long a client may take to send a request (src/platform/http/timeouts.ts). */
  timeouts?: Partial<RequestTimeouts>
  /** Node.js process metrics on /metrics; on by default. */
  processMetrics?: boolean
  /** Largest accepted body of a command, in bytes. */
  bodyLimit?: number
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
  /** Where clients reach the service: the start of every link in a reply. */
  publicUrl(): string
}

// A client's request id goes into the events' metadata and the logs: only a short, plain one is kept.
const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/

/** The client's X-Request-Id when it is short and plain, else a new one. */
function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && requestIdPattern.test(header) ? header : randomUUID()
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024
  const timeouts = { ...defaultTimeouts, ...deps.timeouts }
  const app = Fastify({
    ...serverTimeoutOptions(timeouts),
    logger: deps.logger ?? false,
    logController: accessLog,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    bodyLimit,
    trustProxy: deps.trustProxy ?? false,
    requestIdHeader: false,
    genReqId: (request) => requestIdOf(request.headers['x-request-id']),
    ajv: { customOptions: { allErrors: true } },
    // Errors raised before routing: an over-long path segment can only be a malformed id.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      // No hook runs for these: the body they leave unread is bounded here.
      bodyDeadline(request, reply, timeouts.bodyMs)
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 404 : 400
      const detail = status === 404 ? 'Not found.' : 'Malformed request URL.'
      return reply.code(status).send({ errors: [{ status, detail }] })
    },
  })
  // Only JSON and forms are bodies here; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain')
  // The original's clients send `Content-Type: application/json` with no body on DELETE (docs/original.md "The published documents"): an empty
  // JSON body is no body, not a parse error.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' || body.length === 0 ? done(null, undefined) : parseJson(request, body as string, done),
  )
  // Callback-style: an async hook costs every reply a promise and a turn of the microtask queue.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })
  installErrorHandling(app)
  installLinks(app, { publicUrl: deps.publicUrl, trustProxy: deps.trustProxy ?? false })
  installBodyTimeout(app, timeouts.bodyMs)
  // Both watch every route as it is registered: they come before the routes.
  await installOpenApi(app)
  installMetrics(app, deps.operations, { ...(deps.processMetrics !== undefined && { processMetrics: deps.processMetrics }) })
  installAuth(app, deps)
  installReadYourWrites(app, { progress: deps.readModelProgress, waitMs: deps.readWaitMs ?? 2000 })
  await app.register(healthRoutes, { operations: deps.operations })
  // The web console: a page and its assets, public; what it shows comes from the API with the user's token.
  await app.register(consoleRoutes)

  // Queries take no body: outside the context below, no body parser's hooks run for them.
  await app.register(instanceQueryRoutes, { services: deps.instanceServices })

  // Command endpoints take JSON, forms and multipart forms alike (the original documents' curl examples use -F).
  await app.register(async (api) => {
    await api.register(fastifyFormbody, { bodyLimit })
    await api.register(fastifyMultipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fieldSize: bodyLimit, fields: 100, files: 0, parts: 101 },
    })
    await api.register(instanceRoutes, { services: deps.instanceServices })
    await api.register(statusInstanceRoutes, { services: deps.instanceServices })
    await api.register(okeanosInfoRoutes, { okeanos: deps.okeanos })
    await api.register(appRoutes, { services: deps.applicationServices })
    await api.register(statusApplicationRoutes, { services: deps.applicationServices })
    await api.register(historyRoutes, { services: deps.instanceServices })
    await api.register(webhookRoutes, { services: deps.webhookServices })
    await api.register(deliveryRoutes, { services: deps.webhookServices })
    await api.register(instanceEventRoutes, {
      services: deps.instanceServices,
      heartbeatMs: deps.sseHeartbeatMs ?? 15_000,
      // Each stream holds a socket and a subscription to the log: 20 cover an owner watching every instance
      // of a dashboard; 1000 keep streams from taking the file descriptors the rest needs (commonly 1024 a
      // process), and is raised with that limit.
      limits: { perOwner: deps.sseMaxStreamsPerOwner ?? 20, total: deps.sseMaxStreams ?? 1000 },
    })
  })
  // Uploads stream to disk: their multipart parser is not the one above, which takes small forms whole.
  await app.register(appUploadRoutes, { services: deps.applicationServices })

  app.answerWrongMethods()
  return app
}
