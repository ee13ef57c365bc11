/**
 * Cyclades compute client (Synnefo's Cyclades compute API): flavors, images, servers, actions,
 * wait helpers, and the user's SSH keys. Server and flavor ids are numbers.
 */
import { OkeanosError } from './errors.js'
import { OkeanosHttp, joinUrl } from './http.js'
import { pollUntil, type WaitOptions } from './wait.js'

export interface Link {
  rel: string
  href: string
}

export interface Flavor {
  id: number
  name: string
  vcpus: number
  /** MB */
  ram: number
  /** GB */
  disk: number
  'SNF:disk_template': string
  'SNF:allow_create': boolean
  'SNF:volume_type'?: number
  'os-flavor-access:is_public'?: boolean
  links: Link[]
}

export interface Image {
  id: string
  name: string
  status: string
  progress: number
  created: string
  updated: string
  user_id: string
  tenant_id: string
  public: boolean
  is_snapshot: boolean
  metadata: Record<string, string>
  links: Link[]
}

export type ServerStatus = 'BUILD' | 'ACTIVE' | 'STOPPED' | 'REBOOT' | 'RESIZE' | 'ERROR' | 'DELETED' | 'UNKNOWN'

export interface ServerAttachment {
  id: number
  network_id: string
  mac_address: string
  ipv4: string
  ipv6: string
  'OS-EXT-IPS:type': 'floating' | 'fixed'
  firewallProfile?: string
}

export interface ServerAddress {
  version: number
  addr: string
  'OS-EXT-IPS:type': 'floating' | 'fixed'
}

export interface Server {
  id: number
  name: string
  user_id: string
  tenant_id: string
  status: ServerStatus
  'SNF:task_state': string
  progress: number
  created: string
  updated: string
  flavor: { id: number; links: Link[] }
  image: { id: string; links: Link[] }
  metadata: Record<string, string>
  suspended: boolean
  deleted: boolean
  'SNF:fqdn': string
  key_name: string | null
  'SNF:key_names': string[]
  attachments: ServerAttachment[]
  addresses: Record<string, ServerAddress[]>
  links: Link[]
}

/** Only the create response carries the root password. */
export type CreatedServer = Server & { adminPass: string }

export interface PersonalityFile {
  path: string
  /** base64 */
  contents: string
  owner?: string
  group?: string
  /** e.g. 0o600 (384) */
  mode?: number
}

export type ServerNetwork = { uuid: string; fixed_ip?: string } | { port: string }

export interface CreateServerRequest {
  name: string
  flavorRef: number
  imageRef: string
  /** Project uuid; defaults to the user's default project. */
  project?: string
  /** Omit for the installation default; [] for no NICs. */
  networks?: ServerNetwork[]
  personality?: PersonalityFile[]
  metadata?: Record<string, string>
  key_name?: string
  'SNF:key_names'?: string[]
}

/** An SSH key stored in the user's ~okeanos account (GET /userdata/keys). */
export interface UserKey {
  uri: string
  id: string
  name: string
  content: string
  fingerprint: string
}

/** A retried DELETE whose first attempt went through. */
const serverGone = (e: OkeanosError) => e.status === 404 || (e.status === 400 && /has been deleted/.test(e.okeanosMessage))

export class ComputeClient {
  constructor(
    private readonly http: OkeanosHttp,
    readonly url: string,
  ) {}

  /** GET /flavors/detail: every flavor with vcpus/ram/disk/SNF:allow_create. */
  async listFlavors(): Promise<Flavor[]> {
    return (await this.http.request<{ flavors: Flavor[] }>('GET', joinUrl(this.url, 'flavors/detail'))).flavors
  }

  /** The sizes the creatable flavors offer: each list sorted, without repeats. */
  async flavorSizes(): Promise<{ vcpus: number[]; ram: number[]; disk: number[] }> {
    const flavors = (await this.listFlavors()).filter((flavor) => flavor['SNF:allow_create'])
    const sorted = (values: number[]) => [...new Set(values)].sort((a, b) => a - b)
    return { vcpus: sorted(flavors.map((f) => f.vcpus)), ram: sorted(flavors.map((f) => f.ram)), disk: sorted(flavors.map((f) => f.disk)) }
  }

  async getFlavor(id: number): Promise<Flavor> {
    return (await this.http.request<{ flavor: Flavor }>('GET', joinUrl(this.url, 'flavors', id))).flavor
  }

  /** First creatable flavor with exactly these sizes (LoD's flavor lookup), or undefined. */
  async findFlavor(vcpus: number, ramMiB: number, diskGiB: number): Promise<Flavor | undefined> {
    return (await this.listFlavors()).find((f) => f.vcpus === vcpus && f.ram === ramMiB && f.disk === diskGiB && f['SNF:allow_create'])
  }

  async listImages(): Promise<Image[]> {
    return (await this.http.request<{ images: Image[] }>('GET', joinUrl(this.url, 'images/detail'))).images
  }

  async getImage(id: string): Promise<Image> {
    return (await this.http.request<{ image: Image }>('GET', joinUrl(this.url, 'images', id))).image
  }

  /** POST /servers → 202, status BUILD. Never retried: look up by name before calling again. */
  async createServer(req: CreateServerRequest): Promise<CreatedServer> {
    return (await this.http.request<{ server: CreatedServer }>('POST', joinUrl(this.url, 'servers'), { body: { server: req }, expect: [202] })).server
  }

  async getServer(id: number): Promise<Server> {
    return (await this.http.request<{ server: Server }>('GET', joinUrl(this.url, 'servers', id))).server
  }

  /** GET /servers/detail: the user's servers that are not deleted, with details. */
  async listServers(): Promise<Server[]> {
    return (await this.http.request<{ servers: Server[] }>('GET', joinUrl(this.url, 'servers/detail'))).servers
  }

  async findServersByName(name: string): Promise<Server[]> {
    return (await this.listServers()).filter((s) => s.name === name)
  }

  /** DELETE → 204. Retried; a retry that finds the server already deleted counts as success. */
  async deleteServer(id: number): Promise<void> {
    await this.http.request<void>('DELETE', joinUrl(this.url, 'servers', id), { retry: true, goneOnRetry: serverGone, expect: [204] })
  }

  private async action(id: number, body: unknown): Promise<void> {
    await this.http.request<void>('POST', joinUrl(this.url, 'servers', id, 'action'), { body, expect: [202] })
  }

  /** STOPPED → ACTIVE. 400 if not STOPPED, 409 while building, 413 if cpu/ram quota is exhausted. */
  startServer(id: number): Promise<void> {
    return this.action(id, { start: {} })
  }

  /** ACTIVE → STOPPED. */
  shutdownServer(id: number): Promise<void> {
    return this.action(id, { shutdown: {} })
  }

  rebootServer(id: number, type: 'SOFT' | 'HARD' = 'SOFT'): Promise<void> {
    return this.action(id, { reboot: { type } })
  }

  /** Poll until the status is one of `statuses` (e.g. 'ACTIVE', or ['ACTIVE','ERROR']). Throws WaitTimeoutError at the deadline. */
  waitServerUntil(id: number, statuses: ServerStatus | ServerStatus[], opts?: WaitOptions): Promise<Server> {
    const want = new Set(Array.isArray(statuses) ? statuses : [statuses])
    return pollUntil('Server', id, () => this.getServer(id), (s) => want.has(s.status) && !s['SNF:task_state'], (s) => s.status, opts)
  }

  /** Poll while the status is `status` (kamaki's wait_server_while), e.g. while 'BUILD'. Returns the new state. */
  waitServerWhile(id: number, status: ServerStatus, opts?: WaitOptions): Promise<Server> {
    return pollUntil('Server', id, () => this.getServer(id), (s) => s.status !== status, (s) => s.status, opts)
  }

  /** The SSH keys saved in the user's ~okeanos account. */
  async listUserKeys(): Promise<UserKey[]> {
    return this.http.request<UserKey[]>('GET', userdataKeysUrl(this.url))
  }
}

/** /userdata/keys lives next to /compute/v2.0 on the Cyclades host. */
export function userdataKeysUrl(computeUrl: string): string {
  const base = computeUrl.replace(/\/+$/, '')
  if (/\/compute\/v2\.0$/.test(base)) return base.replace(/\/compute\/v2\.0$/, '/userdata/keys')
  return new URL('/userdata/keys', base).toString()
}
