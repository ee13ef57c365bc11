import type { FastifyRequest, FastifyServerOptions } from 'fastify'

// The service's log: JSON lines (pino), one per request received and answered, each carrying the request id
// (`reqId`, also the `x-request-id` reply header and the events' metadata), and the request's headers with
// the credentials replaced by "[redacted]": a token in a log file is a token anyone with the file can use.

export const redactedPaths = ['req.headers.authorization', 'headers.authorization', 'token']
export const loggedSecrets = [...redactedPaths, 'req.headers.cookie', 'req.headers["proxy-authorization"]']

export function loggerOptions(level: string, stream?: { write(line: string): void }): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: loggedSecrets, censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: request.url,
        remoteAddress: request.ip,
        headers: request.headers,
      }),
    },
    ...(stream && { stream }),
  }
}
