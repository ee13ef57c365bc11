import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Rejection } from '../rejection.js'
import { IdempotencyKeyReusedError, LogUnavailableError, VersionConflictError } from '../eventlog/port.js'
import { HttpError, type ErrorItem } from './envelope.js'

// Every failure leaves as `{"errors": [{status, detail}]}`: the client's mistakes as 4xx with a message that
// says what to fix, our own as a 500 that carries the request id and nothing of the internals. A log out of reach
// for a moment (a failover, a lost connection) is neither: a 503 to retry after a second.

export const logUnavailableMessage =
  'The event log cannot be reached for a moment; retry (a command with the same Idempotency-Key, in case it was applied).'

/** What busboy (under @fastify/multipart) throws for a body that is not multipart as announced. */
const malformedMultipart = /^(Multipart: Boundary not found|Unexpected end of (multipart data|form)|Malformed part header|Part terminated early)/

const rejectionStatus = { invalid: 400, not_found: 404, conflict: 409 } as const

interface AjvError {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

/** Turns the route schema's validation errors into one error per field: "<field>: <message>". */
function validationErrors(error: FastifyError): ErrorItem[] {
  const items = (error.validation ?? []) as AjvError[]
  const where = error.validationContext === 'body' ? '' : `${error.validationContext ?? 'request'} `
  return items.map((item) => {
    const field =
      item.keyword === 'required'
        ? String(item.params?.missingProperty ?? '')
        : (item.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
    const message = item.keyword === 'required' ? 'This field is required.' : `${item.message ?? 'is invalid'}.`
    return { status: 400, detail: field ? `${where}${field}: ${message}` : `${where}${message}` }
  })
}

function clientError(error: FastifyError & { statusCode: number }): ErrorItem[] {
  const status = error.statusCode
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [{ status, detail: 'Request body is too large.' }]
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [{ status, detail: 'Unsupported media type: send JSON, application/x-www-form-urlencoded or multipart/form-data.' }]
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [{ status, detail: `JSON parse error - ${error.message}` }]
  }
  if (error instanceof SyntaxError) return [{ status: 400, detail: `JSON parse error - ${error.message}` }]
  return [{ status, detail: error.message }]
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let status: number
    let errors: ErrorItem[]
    if (error instanceof HttpError) {
      status = error.statusCode
      errors = error.errors
      reply.headers(error.headers)
    } else if (error instanceof Rejection) {
      status = rejectionStatus[error.kind]
      errors = [{ status, detail: error.detail }]
    } else if (error instanceof VersionConflictError || error instanceof IdempotencyKeyReusedError) {
      status = 409
      errors = [{ status, detail: 'The request conflicted with a concurrent change; retry it.' }]
    } else if (error instanceof LogUnavailableError) {
      request.log.warn({ err: error }, 'event log unavailable')
      status = 503
      errors = [{ status, detail: logUnavailableMessage }]
      reply.header('retry-after', '1')
    } else if (error.validation) {
      status = 400
      errors = validationErrors(error)
    } else if (malformedMultipart.test(error.message)) {
      // The multipart parser's own errors carry no status; they are all the body's fault.
      status = 400
      errors = [{ status, detail: `Malformed multipart body: ${error.message}` }]
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode
      errors = clientError(error as FastifyError & { statusCode: number })
    } else {
      request.log.error({ err: error }, 'request failed')
      status = typeof error.statusCode === 'number' && error.statusCode >= 500 ? error.statusCode : 500
      errors = [{ status, detail: `Internal server error (request id ${request.id}).` }]
    }
    return reply.code(status).send({ errors })
  })

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ errors: [{ status: 404, detail: `No route for ${request.method} ${request.url.split('?')[0]}.` }] }),
  )

  // Fastify answers 404 for a known path with another method; collect every route so a last plugin can
  // answer those with 405 and an Allow header instead.
  const methodsByUrl = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const known = methodsByUrl.get(route.url) ?? new Set<string>()
    for (const method of methods) known.add(method)
    methodsByUrl.set(route.url, known)
  })
  app.decorate('answerWrongMethods', () => {
    const all = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
    for (const [url, methods] of [...methodsByUrl]) {
      if (methods.has('GET')) methods.add('HEAD')
      const others = all.filter((m) => !methods.has(m))
      if (others.length === 0) continue
      const allow = [...methods].join(', ')
      app.route({
        method: others,
        url,
        handler: async (request, reply) =>
          reply
            .code(405)
            .header('allow', allow)
            .send({ errors: [{ status: 405, detail: `Method "${request.method}" not allowed.` }] }),
      })
    }
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Call once, after every route is registered. */
    answerWrongMethods(): void
  }
}
