import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../platform/http/schemas.js'
import { bundleConsole, type Asset, type ConsoleBundle } from './bundle.js'

// GET / and GET /console/<asset>: the web console, a client of the same REST API (docs/api.md "Web console").
// It is bundled once a process, from when the server starts listening (or at the first request, for a server
// that never listens), so the first screen hardly waits for a build; the service's tests that only inject requests never
// build it. Its Content-Security-Policy allows nothing but its own files: no inline script, no eval, no other
// origin (no CDN: it works offline), no framing.

export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

let bundled: Promise<ConsoleBundle> | undefined
/** The one bundle of this process, shared by every service it runs (the tests run several). */
export const consoleBundle = () =>
  (bundled ??= bundleConsole().catch((error: unknown) => {
    // Tried again at the next request rather than failing every one.
    bundled = undefined
    throw error
  }))

const tags = ['console']

const pageDocs = {
  summary: 'The web console (an HTML page)',
  description: 'The browser console, a client of this API: sign in with your ~okeanos token. Public; the API calls it makes carry the token.',
  tags,
  authenticated: false,
  response: {
    200: { description: 'The page.', content: { 'text/html': { schema: Type.String() } } },
    304: { description: 'Not modified (If-None-Match).' },
  },
}

const assetDocs = {
  summary: "The web console's script and style sheet",
  description: 'Named by their content: cached for good.',
  tags,
  authenticated: false,
  params: Type.Object({ name: Type.String({ description: 'e.g. console.<hash>.js' }) }),
  response: {
    200: { description: 'The asset.', content: { 'text/javascript': { schema: Type.String() }, 'text/css': { schema: Type.String() } } },
    304: { description: 'Not modified (If-None-Match).' },
    ...errors(404),
  },
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string) {
  reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .type(asset.contentType)
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(asset.gzipped)
  return reply.send(asset.body)
}

export async function consoleRoutes(app: FastifyInstance) {
  // Started, not awaited: the service's start (which benchmarks time) does not wait for it.
  app.addHook('onListen', (done) => {
    consoleBundle().catch((error: unknown) => app.log.error({ err: error }, 'the web console could not be bundled'))
    done()
  })

  // The page is checked on every load (no-cache with its ETag): a new version of the service is picked up at once.
  app.get('/', { config: { docs: pageDocs } }, async (request, reply) => send(request, reply, (await consoleBundle()).page, 'no-cache'))

  app.get('/console/:name', { config: { docs: assetDocs } }, async (request, reply) => {
    const asset = (await consoleBundle()).assets.get((request.params as { name: string }).name)
    if (!asset) return reply.callNotFound()
    return send(request, reply, asset, 'public, max-age=31536000, immutable')
  })
}
