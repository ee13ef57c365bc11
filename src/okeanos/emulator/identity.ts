/**
 * Astakos identity: POST /identity/v2.0/tokens (Synnefo's Astakos identity API and service catalog).
 * Token mode validates a user token and returns user + catalog; an empty body
 * is the public mode kamaki uses to read the catalog without authenticating.
 */
import type { CatalogEntry } from '../catalog.js'
import { bodyText, type Routes } from './app.js'
import { badRequest, unauthorized } from './faults.js'
import type { EmulatorState, UserRec } from './state.js'

/** Every service the catalog lists points back at the emulator itself. */
export function serviceCatalog(base: string): CatalogEntry[] {
  const ui = `${base}/ui`
  const entry = (name: string, type: string, versionId: string, url: string): CatalogEntry => ({
    name,
    type,
    endpoints_links: [],
    endpoints: [{ versionId, publicURL: url, 'SNF:uiURL': ui, region: 'default' }],
  })
  return [
    entry('astakos_account', 'account', 'v1.0', `${base}/account/v1.0`),
    entry('astakos_identity', 'identity', 'v2.0', `${base}/identity/v2.0`),
    entry('cyclades_compute', 'compute', 'v2.0', `${base}/compute/v2.0`),
    // Versioned, as ~okeanos configs use it: clients append "networks", "ports"... directly.
    entry('cyclades_network', 'network', 'v2.0', `${base}/network/v2.0`),
    entry('cyclades_plankton', 'image', 'v1.0', `${base}/image/v1.0`),
    entry('pithos_object-store', 'object-store', 'v1', `${base}/object-store/v1`),
  ]
}

/** Tokens expire 30 days after the emulator started (fixed for a run). */
export function tokenExpiry(startedAt: number): string {
  return new Date(startedAt + 30 * 24 * 3600 * 1000).toISOString().replace('Z', '+00:00')
}

export function accessFor(state: EmulatorState, user: UserRec, startedAt: number) {
  return {
    access: {
      token: { id: user.token, expires: tokenExpiry(startedAt), tenant: { id: user.id, name: user.name } },
      user: {
        id: user.id,
        name: user.name,
        roles: [{ id: '1', name: 'default' }],
        roles_links: [],
        projects: user.projects,
      },
      serviceCatalog: serviceCatalog(state.baseUrl),
    },
  }
}

export function registerIdentity(routes: Routes, startedAt: number): void {
  const { state } = routes.ctx
  routes.open('POST', '/identity/v2.0/tokens', async (req) => {
    const raw = bodyText(req)
    if (raw.trim() === '') return { access: { serviceCatalog: serviceCatalog(state.baseUrl) } }
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      throw badRequest('Could not decode request body as JSON')
    }
    const auth = (body as { auth?: Record<string, unknown> } | null)?.auth
    if (!auth || typeof auth !== 'object') throw badRequest('Malformed request: missing credentials')
    const tokenObj = auth.token as { id?: unknown } | undefined
    const pw = auth.passwordCredentials as { username?: unknown; password?: unknown } | undefined
    let user: UserRec | undefined
    if (tokenObj !== undefined) {
      if (!tokenObj || typeof tokenObj.id !== 'string' || !tokenObj.id) throw badRequest('Malformed request: missing token')
      user = state.userByToken(tokenObj.id)
      if (!user) throw unauthorized('Invalid token')
    } else if (pw !== undefined) {
      if (!pw || typeof pw.password !== 'string' || typeof pw.username !== 'string') throw badRequest('Malformed request: missing credentials')
      user = state.userByToken(pw.password)
      if (!user || user.id !== pw.username) throw unauthorized('Invalid credentials')
    } else {
      throw badRequest('Malformed request: missing credentials')
    }
    if (user.expired) throw unauthorized('Authentication expired')
    const tenant = auth.tenantName
    if (tenant !== undefined && tenant !== user.id) throw badRequest('Not conforming tenantName')
    return accessFor(state, user, startedAt)
  })
}
