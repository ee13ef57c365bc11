/**
 * Astakos identity: validate a user token and get the user and the service
 * catalog in one call, POST {identity}/tokens (Synnefo's Astakos identity API, POST /tokens). This is how
 * astakosclient/kamaki authenticate(); GET /tokens/<id> is for OAuth2 tokens only.
 */
import type { CatalogEntry } from './catalog.js'
import { OkeanosHttp, joinUrl } from './http.js'

export type { CatalogEntry } from './catalog.js'

export interface OkeanosUser {
  id: string
  name: string
  projects: string[]
}

export interface Authentication {
  user: OkeanosUser
  tokenExpires: string
  /** The user's default project (normally the user uuid). */
  tenantId: string
  serviceCatalog: CatalogEntry[]
}

/** The raw `access` object of a token POST. */
export interface AccessResponse {
  access: {
    token?: { id: string; expires: string; tenant: { id: string; name: string } }
    user?: { id: string; name: string; roles: { id: string; name: string }[]; roles_links: unknown[]; projects?: string[] }
    serviceCatalog: CatalogEntry[]
  }
}

export interface IdentityOptions {
  timeoutMs?: number
  retries?: number
  backoffMs?: number
  fetch?: typeof fetch
}

function http(token: string | undefined, opts: IdentityOptions): OkeanosHttp {
  return new OkeanosHttp({ token, timeoutMs: opts.timeoutMs ?? 10_000, retries: opts.retries ?? 2, backoffMs: opts.backoffMs, fetch: opts.fetch })
}

/**
 * Validate `token`. An invalid or expired token → OkeanosError status 401.
 * The POST only reads, so it is safe to retry on 5xx/timeouts.
 */
export async function authenticate(
  identityUrl: string,
  token: string,
  opts: IdentityOptions = {},
): Promise<Authentication> {
  const res = await http(token, opts).request<AccessResponse>('POST', joinUrl(identityUrl, 'tokens'), {
    body: { auth: { token: { id: token } } },
    retry: true,
    expect: [200],
  })
  const { user, token: tok, serviceCatalog } = res.access
  if (!user || !tok) throw new Error('~okeanos token response without user/token')
  return {
    user: { id: user.id, name: user.name, projects: user.projects ?? [] },
    tokenExpires: tok.expires,
    tenantId: tok.tenant.id,
    serviceCatalog,
  }
}

/** The public service catalog: the token POST with an empty body (no authentication). */
export async function getServiceCatalog(identityUrl: string, opts: IdentityOptions = {}): Promise<CatalogEntry[]> {
  const res = await http(undefined, opts).request<AccessResponse>('POST', joinUrl(identityUrl, 'tokens'), {
    retry: true,
    expect: [200],
  })
  return res.access.serviceCatalog
}
