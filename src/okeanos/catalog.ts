/**
 * The Astakos service catalog (Synnefo's Astakos service catalog) and endpoint lookup by type,
 * the way kamaki's get_endpoint_url() does it: first entry of that type, its
 * first endpoint's publicURL. Only the identity URL is configured; every other
 * URL comes from here.
 */
export interface CatalogEndpoint {
  versionId?: string
  publicURL: string
  'SNF:uiURL'?: string
  region?: string
}

export interface CatalogEntry {
  name: string
  type: string
  endpoints: CatalogEndpoint[]
  endpoints_links?: unknown[]
}

/** The service types LoD uses. */
export type ServiceType = 'identity' | 'account' | 'compute' | 'network' | 'image' | 'object-store'

export function endpointUrl(catalog: CatalogEntry[], type: ServiceType | string): string {
  const url = catalog.find((e) => e.type === type)?.endpoints[0]?.publicURL
  if (!url) throw new Error(`No '${type}' endpoint in the ~okeanos service catalog`)
  return url.replace(/\/+$/, '')
}

export interface Endpoints {
  account: string
  compute: string
  network: string
  objectStore: string
  image?: string
}

/** All the endpoints the service needs; throws if a required one is missing. */
export function resolveEndpoints(catalog: CatalogEntry[]): Endpoints {
  const out: Endpoints = {
    account: endpointUrl(catalog, 'account'),
    compute: endpointUrl(catalog, 'compute'),
    network: endpointUrl(catalog, 'network'),
    objectStore: endpointUrl(catalog, 'object-store'),
  }
  const image = catalog.find((e) => e.type === 'image')?.endpoints[0]?.publicURL
  if (image) out.image = image.replace(/\/+$/, '')
  return out
}
