import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from './envelope.js'

// Links in replies (self links, pagination) start at the service's public URL, never at the request's Host:
// a client must not be able to plant another host in what the service answers others. Behind a trusted reverse
// proxy the forwarded host and protocol name the public URL instead. A malformed Host is the client's mistake.

// A host name (letters, digits, '-', '_', dots), an IPv4 address, or an IPv6 one in brackets; a port up to 65535.
const hostPattern = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/

function isWellFormedHost(host: string): boolean {
  const match = hostPattern.exec(host)
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65535)
}

const malformedHostMessage = 'Malformed Host header.'

declare module 'fastify' {
  interface FastifyRequest {
    /** An absolute URL of this service for `path` (which starts with '/'). */
    linkTo(path: string): string
  }
}

export interface LinkOptions {
  /** Where clients reach this service, e.g. https://lod.example.org; read when a link is made. */
  publicUrl(): string
  trustProxy: boolean
}

function forwarded(request: FastifyRequest): boolean {
  return request.headers['x-forwarded-host'] !== undefined || request.headers['x-forwarded-proto'] !== undefined
}

export function installLinks(app: FastifyInstance, options: LinkOptions): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const host = request.headers.host
    // HTTP/1.0 may leave Host out (Node refuses an HTTP/1.1 request without one).
    if (host !== undefined && !isWellFormedHost(host)) return done(new HttpError(400, malformedHostMessage))
    if (options.trustProxy && forwarded(request) && (!isWellFormedHost(request.host) || !/^https?$/.test(request.protocol)))
      return done(new HttpError(400, 'Malformed X-Forwarded-Host or X-Forwarded-Proto header.'))
    done()
  })
  app.decorateRequest('linkTo', function (this: FastifyRequest, path: string) {
    const base = options.trustProxy && forwarded(this) ? `${this.protocol}://${this.host}` : options.publicUrl().replace(/\/+$/, '')
    return base + path
  })
}

/** The URL a server listening on `address` is reached at: a wildcard address answers on loopback too. */
export function listenUrl(address: { address: string; port: number; family: string }): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address
  return `http://${address.family === 'IPv6' || host.includes(':') ? `[${host}]` : host}:${address.port}`
}
