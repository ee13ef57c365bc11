/**
 * The HTTP plumbing shared by every emulated service: Synnefo's transport
 * rules (Synnefo's fault format) in one place.
 *
 * - Bodies are read raw and parsed by `jsonBody`, so we can answer with
 *   Synnefo's exact 400 texts instead of Fastify's.
 * - Unknown path → 400 "API endpoint not found"; known path, wrong method → 405 + Allow.
 * - X-Auth-Token checked per route (`routes.user`), with Astakos' and Cyclades' texts.
 * - Fault injection and chaos run before the handler (or replace its answer);
 *   the admin API under /_emulator/ is never subject to them.
 * - The request log records method, path, status and user uuid; never a token.
 * - Status lines carry Django's upper-case reason phrases (`404 NOT FOUND`), as Synnefo's do.
 */
import { STATUS_CODES } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Ctx } from './context.js'
import { Fault, badRequest, internalServerError, notAllowed, overLimit, ruleFault, unauthorized, type FaultRule } from './faults.js'
import type { UserRec } from './state.js'

export const ADMIN_PREFIX = '/_emulator'

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'
export type AuthKind = 'astakos' | 'cyclades'
export type UserHandler = (req: FastifyRequest, reply: FastifyReply, user: UserRec) => unknown
export type OpenHandler = (req: FastifyRequest, reply: FastifyReply) => unknown

/** Registers routes and remembers their paths so a wrong method can be told apart from an unknown path. */
export class Routes {
  private readonly table: { method: Method; regex: RegExp }[] = []
  constructor(
    readonly app: FastifyInstance,
    readonly ctx: Ctx,
  ) {}

  open(method: Method, url: string, handler: OpenHandler): void {
    this.remember(method, url)
    this.app.route({ method, url, handler: async (req, reply) => handler(req, reply) })
  }

  user(method: Method, url: string, kind: AuthKind, handler: UserHandler): void {
    this.remember(method, url)
    this.app.route({
      method,
      url,
      handler: async (req, reply) => {
        const user = authenticateRequest(this.ctx, req, kind)
        requestUser.set(req, user.id)
        return handler(req, reply, user)
      },
    })
  }

  /**
   * Like `user`, but the handler gets the request body as the raw stream (`req.body` is a Readable,
   * or undefined when there is none) instead of bytes: for Pithos object uploads, which can be far
   * larger than we want in memory. The route lives in its own Fastify context so only it has this parser.
   */
  userStream(method: Method, url: string, kind: AuthKind, handler: UserHandler): void {
    this.remember(method, url)
    void this.app.register(async (child) => {
      child.removeAllContentTypeParsers()
      child.addContentTypeParser('*', (_req, payload, done) => done(null, payload))
      child.route({
        method,
        url,
        handler: async (req, reply) => {
          const user = authenticateRequest(this.ctx, req, kind)
          requestUser.set(req, user.id)
          return handler(req, reply, user)
        },
      })
    })
  }

  allowedMethods(path: string): string[] {
    const methods = new Set<string>()
    for (const r of this.table) if (r.regex.test(path)) methods.add(r.method)
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods]
  }

  private remember(method: Method, url: string): void {
    const pattern = url
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[A-Za-z_]+/g, '[^/]+')
      .replace(/\\\*/g, '.+')
    this.table.push({ method, regex: new RegExp(`^${pattern}/?$`) })
  }
}

const requestUser = new WeakMap<FastifyRequest, string>()
const afterFaults = new WeakMap<FastifyRequest, FaultRule>()
const injectedBy = new WeakMap<FastifyRequest, string>()

/** Resolve X-Auth-Token to a user, with the texts each service uses. */
export function authenticateRequest(ctx: Ctx, req: FastifyRequest, kind: AuthKind): UserRec {
  // Synnefo's get_token: the X-Auth-Token query parameter, else the header.
  const header = (req.query as Record<string, unknown>)['X-Auth-Token'] ?? req.headers['x-auth-token']
  const token = Array.isArray(header) ? String(header[0]) : typeof header === 'string' ? header : undefined
  if (!token) throw unauthorized('Access denied. No authentication token')
  const user = ctx.state.userByToken(token)
  const problem = !user ? 'Invalid token' : user.expired ? 'Authentication expired' : undefined
  if (!problem) return user!
  const astakosFault = unauthorized(problem)
  if (kind === 'astakos') throw astakosFault
  // Cyclades wraps the Astakos answer in a generic fault (as Synnefo's fault format suggests).
  throw new Fault(401, 'fault', 'UNAUTHORIZED', JSON.stringify(astakosFault.body()))
}

/** The request body as text ('' when there is none). */
export function bodyText(req: FastifyRequest): string {
  const b = req.body
  if (Buffer.isBuffer(b)) return b.toString('utf8')
  return typeof b === 'string' ? b : ''
}

/**
 * Synnefo's get_json_body: Content-Type must be present and JSON, the body
 * must decode, and (for `object`) be a JSON object.
 */
export function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const ct = req.headers['content-type']
  if (!ct) throw badRequest('Missing Content-Type header field')
  if (!ct.toLowerCase().startsWith('application/json')) throw badRequest(`Unsupported Content-type: '${ct}'`)
  const raw = bodyText(req)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw badRequest('Could not decode request body as JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('Malformed request')
  return parsed as Record<string, unknown>
}

/** `body[key]` as an object, else 400 "Malformed request. Missing attribute '<key>'." */
export function attrObject(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = body[key]
  if (v === undefined) throw badRequest(`Malformed request. Missing attribute '${key}'.`)
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badRequest(`Malformed request. Invalid '${key}' field`)
  return v as Record<string, unknown>
}

const path = (url: string) => {
  const i = url.indexOf('?')
  return i < 0 ? url : url.slice(0, i)
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Synnefo's Django predates RFC 7231's renames and upper-cases its phrases; clients such as kamaki
 * copy them into their error messages. A code its table lacks (421 is Synnefo's own networkInUse)
 * gets Django's fallback.
 */
const DJANGO_PHRASES: Record<number, string> = {
  413: 'REQUEST ENTITY TOO LARGE',
  414: 'REQUEST-URI TOO LONG',
  416: 'REQUESTED RANGE NOT SATISFIABLE',
  421: 'UNKNOWN STATUS CODE',
}

export const reasonPhrase = (code: number): string =>
  DJANGO_PHRASES[code] ?? STATUS_CODES[code]?.toUpperCase() ?? 'UNKNOWN STATUS CODE'

function sendFault(reply: FastifyReply, fault: Fault): FastifyReply {
  for (const [k, v] of Object.entries(fault.headers)) reply.header(k, v)
  return reply.code(fault.code).type('application/json; charset=UTF-8').send(JSON.stringify(fault.body()))
}

export function createApp(ctx: Ctx, opts: { logger?: boolean }): { app: FastifyInstance; routes: Routes } {
  const app = Fastify({
    // Off by default: tokens travel in headers and bodies; never log them.
    // When on, log method and path only: no headers, no query string (either may hold a token).
    logger: opts.logger ? { serializers: { req: (r: { method: string; url: string }) => ({ method: r.method, url: path(r.url) }) } } : false,
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 1024 * 1024, // JSON bodies; Pithos objects stream past it (Routes.userStream)
    forceCloseConnections: true,
  })
  const routes = new Routes(app, ctx)

  // Read every body as raw bytes; routes decide how to parse it (Synnefo's own error
  // texts for JSON, untouched bytes for Pithos objects).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.addHook('onRequest', async (req, reply) => {
    const p = path(req.url)
    if (p.startsWith(ADMIN_PREFIX)) return
    const rule = ctx.faults.take(req.method, p)
    if (rule) {
      if (rule.delayMs > 0) await sleep(rule.delayMs)
      if (rule.delayOnly) return
      if (rule.after) {
        afterFaults.set(req, rule)
        return
      }
      injectedBy.set(req, `rule ${rule.id}`)
      if (rule.drop) {
        reply.hijack()
        req.raw.socket.destroy()
        ctx.state.logRequest({ method: req.method, path: p, status: 0, injected: `rule ${rule.id} (dropped)` })
        return
      }
      return sendFault(reply, ruleFault(rule))
    }
    const chaos = ctx.faults.roll()
    if (chaos) {
      injectedBy.set(req, 'chaos')
      return sendFault(reply, chaos)
    }
  })

  app.addHook('onSend', async (req, reply, payload) => {
    const p = path(req.url)
    if (p.startsWith(ADMIN_PREFIX)) return payload
    const rule = afterFaults.get(req)
    if (rule) {
      afterFaults.delete(req)
      injectedBy.set(req, `rule ${rule.id} (after)`)
      if (rule.drop) {
        req.raw.socket.destroy()
        return payload
      }
      const fault = ruleFault(rule)
      reply.code(fault.code).type('application/json; charset=UTF-8')
      payload = JSON.stringify(fault.body())
    }
    // Synnefo's update_response_headers.
    const ct = reply.getHeader('content-type')
    if (typeof ct === 'string' && ct.startsWith('application/json') && !ct.includes('charset=UTF-8')) {
      reply.header('content-type', 'application/json; charset=UTF-8')
    }
    reply.header('vary', 'X-Auth-Token')
    reply.header('cache-control', 'no-cache, no-store, must-revalidate, max-age=0')
    return payload
  })

  // After the hook above, so an "after" fault's code gets its own phrase; admin replies too, for one rule.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.raw.statusMessage = reasonPhrase(reply.statusCode)
    return payload
  })

  app.addHook('onResponse', async (req, reply) => {
    const p = path(req.url)
    if (p.startsWith(ADMIN_PREFIX)) return
    const entry: Parameters<typeof ctx.state.logRequest>[0] = { method: req.method, path: p, status: reply.statusCode }
    const by = injectedBy.get(req)
    if (by) entry.injected = by
    const user = requestUser.get(req)
    if (user) entry.user = user
    ctx.state.logRequest(entry)
  })

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof Fault) return sendFault(reply, err)
    const e = err as { code?: string; statusCode?: number; message?: string; stack?: string }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFault(reply, overLimit('Request body too large'))
    if (e.statusCode && e.statusCode < 500) return sendFault(reply, badRequest(e.message ?? 'Malformed request'))
    // A bug in the emulator: say so on stderr (no request data, so no token), answer like Synnefo.
    console.error(`okeanos emulator: unexpected error on ${req.method} ${path(req.url)}:`, e.stack ?? e.message)
    return sendFault(reply, internalServerError())
  })

  app.setNotFoundHandler((req, reply) => {
    const p = path(req.url)
    const allowed = routes.allowedMethods(p)
    if (allowed.length > 0) return sendFault(reply, notAllowed(allowed))
    return sendFault(reply, badRequest('API endpoint not found'))
  })

  return { app, routes }
}
