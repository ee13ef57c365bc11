import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Owner, OwnerTokenValidator } from '../../auth/owner-tokens.js'
import type { Actor } from '../../domain/instance.js'
import type { SecretStore } from '../../secrets/store.js'
import { HttpError } from '../envelope.js'

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

  /** A user's ~okeanos token. */
  app.decorate('verifyOwner', async (request: FastifyRequest) => {
    const token = tokenOf(request)
    let owner: Owner | null
    try {
      owner = await deps.ownerTokens.validate(token)
    } catch (error) {
      request.log.warn({ err: error }, 'token validation failed')
      throw new HttpError(503, messages.unavailable)
    }
    if (!owner) throw new HttpError(401, messages.invalid, challenge)
    request.owner = owner
    request.actor = { kind: 'user', owner: owner.id }
    request.token = token
  })

  /** The token of the instance named in the path, held by that instance's service VM. */
  app.decorate('verifyInstanceToken', async (request: FastifyRequest) => {
    const token = tokenOf(request)
    const instanceId = deps.secrets.instanceForToken(token)
    const pathId = (request.params as { id?: string } | undefined)?.id
    if (!instanceId || instanceId !== pathId) throw new HttpError(401, messages.invalid, challenge)
    request.actor = { kind: 'service-vm', instanceId }
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
    verifyOwner(request: FastifyRequest): Promise<void>
    verifyInstanceToken(request: FastifyRequest): Promise<void>
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
