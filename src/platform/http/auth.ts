import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { Owner, OwnerTokenValidator } from '../../auth/owner-tokens.js'
import type { Actor } from '../actor.js'
import type { SecretStore } from '../../secrets/store.js'
import { HttpError } from './envelope.js'

// `Authorization: Token <token>`: either a user's ~okeanos token (checked with Astakos; the user's uuid owns
// what the request creates) or, on the status family, the token of one instance's service VM.

export const messages = {
  missing: 'Authentication credentials were not provided.',
  invalid: 'Unauthorized. Request failed because user provided an invalid token.',
  unavailable: '~okeanos identity service is unavailable; try again later.',
} as const

const challenge = { 'www-authenticate': 'Token' }

export function tokenOf(request: FastifyRequest): string {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^\s*token\s+(\S+)\s*$/i.exec(header) : null
  if (!match) throw new HttpError(401, messages.missing, challenge)
  return match[1]!
}

export interface AuthDeps {
  ownerTokens: OwnerTokenValidator
  secrets: SecretStore
}

export function installAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('owner', null)
  app.decorateRequest('actor', null)
  app.decorateRequest('token', null)

  const admit = (request: FastifyRequest, token: string, owner: Owner | null): HttpError | undefined => {
    if (!owner) return new HttpError(401, messages.invalid, challenge)
    request.owner = owner
    request.actor = { kind: 'user', owner: owner.id }
    request.token = token
    return undefined
  }

  // The two onRequest hooks every route uses: callback-style, so that a token the cache knows (nearly every
  // request) is admitted in the same turn of the event loop, without the promises of an async hook.
  const admitOwner = (request: FastifyRequest, token: string, done: HookHandlerDoneFunction, known = deps.ownerTokens.peek(token)) => {
    if (known !== undefined) return done(admit(request, token, known))
    deps.ownerTokens.validate(token).then(
      (owner) => done(admit(request, token, owner)),
      (error: unknown) => {
        request.log.warn({ err: error }, 'token validation failed')
        done(new HttpError(503, messages.unavailable))
      },
    )
  }

  const withToken = (request: FastifyRequest, done: HookHandlerDoneFunction): string | undefined => {
    try {
      return tokenOf(request)
    } catch (error) {
      done(error as HttpError)
      return undefined
    }
  }

  app.decorate('requireOwner', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const token = withToken(request, done)
    if (token !== undefined) admitOwner(request, token, done)
  })

  /**
   * The token of the instance named in the path (its service VM's), or else the owner's. A token ~okeanos has
   * just accepted is an owner's (instance tokens are ours, random, and never valid there): it skips the lookup
   * in the secret store.
   */
  app.decorate('requireOwnerOrInstanceToken', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const token = withToken(request, done)
    if (token === undefined) return
    const known = deps.ownerTokens.peek(token)
    if (known) return done(admit(request, token, known))
    deps.secrets.instanceForToken(token).then(
      (instanceId) => {
        if (instanceId === undefined || instanceId !== (request.params as { id?: string } | undefined)?.id)
          return admitOwner(request, token, done, known)
        request.actor = { kind: 'service-vm', instanceId }
        done()
      },
      (error: unknown) => done(error as Error),
    )
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    owner: Owner | null
    actor: Actor | null
    /** The caller's ~okeanos token, for the ~okeanos calls made on the caller's behalf. Never log it. */
    token: string | null
  }
  interface FastifyInstance {
    /** onRequest hook: a user's ~okeanos token. */
    requireOwner(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
    /** onRequest hook: the path's instance's service-VM token, or the owner's ~okeanos token. */
    requireOwnerOrInstanceToken(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  }
}

/** The authenticated actor; routes run only after authentication, so its absence is a wiring bug. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Error('route reached without authentication')
  return request.actor
}

export function ownerOf(request: FastifyRequest): Owner {
  if (!request.owner) throw new Error('route reached without an owner token')
  return request.owner
}
