/**
 * The ~okeanos client: authenticate once, then talk to each service through
 * the endpoints of the service catalog.
 *
 *   const ok = await Okeanos.connect(identityUrl, token)
 *   const quotas = await ok.account.getQuotas()
 *   const server = await ok.compute.createServer({...})
 *   await ok.compute.waitServerUntil(server.id, ['ACTIVE', 'ERROR'], { timeoutMs: 120_000 })
 */
import { AccountClient } from './account.js'
import { resolveEndpoints, type Endpoints } from './catalog.js'
import { ComputeClient } from './compute.js'
import { OkeanosHttp, type HttpOptions } from './http.js'
import { authenticate, type Authentication, type OkeanosUser } from './identity.js'
import { NetworkClient } from './network.js'
import { PithosClient } from './pithos.js'

export * from './errors.js'
export * from './catalog.js'
export * from './identity.js'
export * from './account.js'
export * from './compute.js'
export * from './network.js'
export * from './pithos.js'
export { OkeanosHttp, joinUrl } from './http.js'
export type { HttpOptions, RequestOptions } from './http.js'
export type { ByteSource, StreamOptions, StreamResponse } from './http-stream.js'
export type { WaitOptions } from './wait.js'

export type ClientOptions = Omit<HttpOptions, 'token'>

export class Okeanos {
  readonly account: AccountClient
  readonly compute: ComputeClient
  readonly network: NetworkClient
  /** The user's Pithos account (account = user uuid). */
  readonly pithos: PithosClient

  constructor(
    readonly user: OkeanosUser,
    readonly endpoints: Endpoints,
    readonly http: OkeanosHttp,
  ) {
    this.account = new AccountClient(http, endpoints.account)
    this.compute = new ComputeClient(http, endpoints.compute)
    this.network = new NetworkClient(http, endpoints.network)
    this.pithos = new PithosClient(http, endpoints.objectStore, user.id)
  }

  /** Validate the token (401 → OkeanosError) and resolve the endpoints from the catalog. */
  static async connect(identityUrl: string, token: string, opts: ClientOptions = {}): Promise<Okeanos> {
    const idOpts: Parameters<typeof authenticate>[2] = {}
    if (opts.timeoutMs !== undefined) idOpts.timeoutMs = opts.timeoutMs
    if (opts.retries !== undefined) idOpts.retries = opts.retries
    if (opts.backoffMs !== undefined) idOpts.backoffMs = opts.backoffMs
    if (opts.fetch !== undefined) idOpts.fetch = opts.fetch
    const auth = await authenticate(identityUrl, token, idOpts)
    return Okeanos.fromAuthentication(auth, token, opts)
  }

  /** Build a client from an authentication the caller already has (no extra call). */
  static fromAuthentication(auth: Authentication, token: string, opts: ClientOptions = {}): Okeanos {
    return new Okeanos(auth.user, resolveEndpoints(auth.serviceCatalog), new OkeanosHttp({ ...opts, token }))
  }
}
