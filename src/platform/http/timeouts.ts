import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

// How long a client may take to send its request, so that a client trickling bytes cannot hold a connection
// (and what it costs) for as long as it likes. Node.js bounds the headers, and the whole request as a last
// resort: that limit is an upload's, since 256 MB legitimately take minutes. A body read whole (a command's,
// at most a megabyte) has a much shorter limit of its own, kept here; an upload is let off it once it is
// being received (upload.ts has its idle limit). A reply sent before the body came in (a refused token) does
// not keep the connection for the rest of the body either.
//
// Only the requests are bounded: a response may last (a Server-Sent Events stream answers a GET whose request
// is complete as soon as its headers are).

export interface RequestTimeouts {
  /** From a connection's first byte (or its opening, or the previous reply) to the end of the headers. */
  headersMs: number
  /** From the headers to the body's last byte, for a body that is not an upload. */
  bodyMs: number
  /** From the first byte to the last, for any request: what bounds an upload. */
  uploadMs: number
  /** How long a connection may wait, idle, for the client's next request. */
  keepAliveMs: number
}

export const defaultTimeouts: RequestTimeouts = {
  // Headers come in one packet from any real client; 20 s leaves a slow mobile link room, and is a third of
  // Node's 60 s for a connection that says nothing.
  headersMs: 20_000,
  // A command body is at most LOD_BODY_LIMIT_BYTES (1 MB): 30 s is 35 KB/s for the largest.
  bodyMs: 30_000,
  // 256 MB (LOD_UPLOAD_LIMIT_BYTES) in an hour is 75 KB/s; an upload that stops altogether is abandoned much
  // sooner, after LOD_UPLOAD_IDLE_TIMEOUT_SECONDS.
  uploadMs: 3_600_000,
  // Fastify's default: longer than the 60 s a load balancer usually keeps an idle connection, so that it, not
  // we, closes it (the other way round it may send a request on a connection we are closing, and answer 502).
  keepAliveMs: 72_000,
}

/** Node looks for requests past their time every 30 s by default: with a 20 s limit, up to 50 s. */
const checkEveryMs = 1_000

const seconds = (ms: number) => Math.round(ms / 100) / 10

const timeoutMessages = {
  body: (ms: number) => `The request body did not arrive within ${seconds(ms)} s; it was abandoned. Send the whole body at once.`,
  request: (timeouts: RequestTimeouts) =>
    `The request did not arrive in time (its headers within ${seconds(timeouts.headersMs)} s, an upload within ` +
    `${seconds(timeouts.uploadMs)} s); it was abandoned.`,
  malformed: 'Malformed HTTP request.',
  headersTooLarge: 'The request headers are too large.',
} as const

/** What Node refuses before Fastify sees a request, answered with the error envelope. */
function answerClientError(timeouts: RequestTimeouts) {
  return function (this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const [status, detail] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, timeoutMessages.request(timeouts)]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, timeoutMessages.headersTooLarge]
          : [400, timeoutMessages.malformed]
    // A slow client is worth knowing about; garbage (scanners) is not, but when debugging.
    if (status === 408) this.log.info({ err: error }, 'request timed out')
    else this.log.debug({ err: error }, 'malformed request')
    // As Node does: an answer only when no reply has started on this connection, so as not to garble one.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
    if (socket.writable && !inFlight?.headersSent) {
      const body = JSON.stringify({ errors: [{ status, detail }] })
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
    }
    socket.destroy(error)
  }
}

/** Fastify's server options for Node's limits. */
export function serverTimeoutOptions(
  timeouts: RequestTimeouts,
): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'keepAliveTimeout' | 'http' | 'clientErrorHandler'> {
  // Node refuses a headers limit longer than the whole request's; the headers are part of the request anyway.
  const effective = { ...timeouts, headersMs: Math.min(timeouts.headersMs, timeouts.uploadMs) }
  return {
    requestTimeout: effective.uploadMs,
    keepAliveTimeout: effective.keepAliveMs,
    http: { headersTimeout: effective.headersMs, requestTimeout: effective.uploadMs, connectionsCheckingInterval: checkEveryMs },
    clientErrorHandler: answerClientError(effective),
  }
}

const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>()

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0'

/** Gives the rest of the request's body `ms` to arrive: then a 408, or, once a reply is sent, the end of the
 *  connection. */
export function bodyDeadline(request: FastifyRequest, reply: FastifyReply, ms: number): void {
  if (!hasBody(request)) return
  const raw = request.raw
  const expire = () => {
    deadlines.delete(request)
    if (raw.complete) return
    if (reply.sent) {
      // The client was answered (a refusal, an error) but keeps sending a body nobody reads: destroying the
      // unfinished request closes its connection.
      raw.destroy()
      return
    }
    // Nothing reads the body yet (a token still being checked): the time is ours, not the client's.
    if (raw.readableFlowing !== true) return arm()
    request.log.info('request body timed out')
    void reply
      .code(408)
      .header('connection', 'close')
      .send({ errors: [{ status: 408, detail: timeoutMessages.body(ms) }] })
  }
  const arm = () => {
    // Unref'd: the server keeps the process alive, an injected request (tests) must not.
    deadlines.set(request, setTimeout(expire, ms).unref())
  }
  arm()
  raw.once('end', () => exemptFromBodyTimeout(request))
}

/** For a body with limits of its own (an upload). */
export function exemptFromBodyTimeout(request: FastifyRequest): void {
  clearTimeout(deadlines.get(request))
  deadlines.delete(request)
}

/** Bounds the body of every request that reaches a route (or the 404 handler); call before the routes. */
export function installBodyTimeout(app: FastifyInstance, bodyMs: number): void {
  // Callback-style, as the other hooks every request runs.
  app.addHook('onRequest', (request, reply, done) => {
    bodyDeadline(request, reply, bodyMs)
    done()
  })
}
