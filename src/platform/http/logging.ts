import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { pino } from 'pino'

// The service's log: JSON lines (pino), one per request when it is answered, carrying the request id (`reqId`, also
// the `x-request-id` reply header and the events' metadata), the method, the URL, the client's address, the
// status and the time taken. No headers: they would cost every request a serialization and a redaction, and they
// are where credentials travel. The redaction stays for anything else that carries them (a token in a log file is
// a token anyone with the file can use).

const loggedSecrets = ['req.headers.authorization', 'headers.authorization', 'token', 'req.headers.cookie', 'req.headers["proxy-authorization"]']

let standardOutput: pino.DestinationStream | undefined

/**
 * Standard output, buffered and written asynchronously: a write is a system call, and one per line on the event
 * loop cost a details GET a fifth of its time. Lines go out by 4 KiB, or within a second on a quiet service, and
 * what is left is written at exit; a SIGKILL loses at most that buffer. One per process: two writers on one
 * descriptor could mix their lines.
 */
function toStandardOutput(): pino.DestinationStream {
  standardOutput ??= pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 })
  return standardOutput
}

export function loggerOptions(level: string, stream: { write(line: string): void } = toStandardOutput()): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: loggedSecrets, censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: request.url, remoteAddress: request.ip }),
    },
    stream,
  }
}

/** Fastify's request lines, one per request: Fastify's own are two (received, answered). Errors are still logged
 *  as Fastify logs them. */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}

export const accessLog = new AccessLog()
