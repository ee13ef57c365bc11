/**
 * Cyclades network client (Synnefo's Cyclades network API, Neutron style): networks, subnets,
 * ports, floating IPs. Their ids are digit strings on the wire.
 */
import { OkeanosError } from './errors.js'
import { OkeanosHttp, joinUrl } from './http.js'
import type { Link } from './compute.js'
import { pollUntil, type WaitOptions } from './wait.js'

export interface Network {
  id: string
  name: string
  status: 'ACTIVE' | 'DOWN' | 'BUILD' | 'ERROR' | 'SNF:DRAINED' | 'DELETED'
  type: string
  user_id: string | null
  tenant_id: string | null
  public: boolean
  shared_to_project: boolean
  admin_state_up: boolean
  subnets: string[]
  'SNF:floating_ip_pool': boolean
  'router:external': boolean
  deleted: boolean
  created: string
  updated: string
  links: Link[]
}

export interface CreateNetworkRequest {
  name: string
  /** MAC_FILTERED is what LoD uses for its private network. */
  type?: 'MAC_FILTERED' | 'CUSTOM' | 'IP_LESS_ROUTED' | 'PHYSICAL_VLAN'
  project?: string
  admin_state_up?: boolean
}

export interface Subnet {
  id: string
  network_id: string
  name: string
  cidr: string
  ip_version: number
  gateway_ip: string | null
  enable_dhcp: boolean
  allocation_pools: { start: string; end: string }[]
  dns_nameservers: string[]
  host_routes: unknown[]
  user_id: string | null
  tenant_id: string | null
  public: boolean
  links: Link[]
}

export interface CreateSubnetRequest {
  network_id: string
  cidr: string
  ip_version?: 4
  /** Omit for the first host; null for no gateway. */
  gateway_ip?: string | null
  enable_dhcp?: boolean
  name?: string
  allocation_pools?: { start: string; end: string }[]
}

export interface Port {
  id: string
  name: string
  status: 'DOWN' | 'BUILD' | 'ACTIVE' | 'ERROR'
  device_id: string
  device_owner: string
  network_id: string
  mac_address: string
  fixed_ips: { ip_address: string; subnet: string }[]
  user_id: string
  tenant_id: string
  created: string
  updated: string
  links: Link[]
}

export interface CreatePortRequest {
  network_id: string
  device_id?: string
  /** For a public network: one of the user's floating IPs. */
  fixed_ips?: { ip_address: string }[]
  name?: string
}

export interface FloatingIp {
  id: string
  floating_network_id: string
  floating_ip_address: string
  fixed_ip_address: string | null
  /** Server id (string) while attached. */
  instance_id: string | null
  port_id: string | null
  user_id: string
  tenant_id: string
  shared_to_project: boolean
  deleted: boolean
}

export interface CreateFloatingIpRequest {
  project?: string
  floating_network_id?: string
  floating_ip_address?: string
}

const notFound = (e: OkeanosError) => e.status === 404
/** On a retry, a pending DISCONNECT is (almost surely) our own first attempt at work. */
const portGone = (e: OkeanosError) => e.status === 404 || (e.status === 400 && /pending 'DISCONNECT'/.test(e.okeanosMessage))
const networkGone = (e: OkeanosError) => e.status === 404 || (e.status === 400 && /has been deleted/.test(e.okeanosMessage))

export class NetworkClient {
  constructor(
    private readonly http: OkeanosHttp,
    readonly url: string,
  ) {}

  // ---- networks
  /** Own and public networks that are not deleted. */
  async listNetworks(): Promise<Network[]> {
    return (await this.http.request<{ networks: Network[] }>('GET', joinUrl(this.url, 'networks'))).networks
  }

  async getNetwork(id: string): Promise<Network> {
    return (await this.http.request<{ network: Network }>('GET', joinUrl(this.url, 'networks', id))).network
  }

  /** POST → 201, ACTIVE at once. Never retried. */
  async createNetwork(req: CreateNetworkRequest): Promise<Network> {
    const body = { network: { type: 'MAC_FILTERED', admin_state_up: true, ...req } }
    return (await this.http.request<{ network: Network }>('POST', joinUrl(this.url, 'networks'), { body, expect: [201] })).network
  }

  /** DELETE → 204; 409 while ports remain. Retried; "already deleted" on a retry counts as success. */
  async deleteNetwork(id: string): Promise<void> {
    await this.http.request<void>('DELETE', joinUrl(this.url, 'networks', id), { retry: true, goneOnRetry: networkGone, expect: [204] })
  }

  // ---- subnets
  async listSubnets(): Promise<Subnet[]> {
    return (await this.http.request<{ subnets: Subnet[] }>('GET', joinUrl(this.url, 'subnets'))).subnets
  }

  async getSubnet(id: string): Promise<Subnet> {
    return (await this.http.request<{ subnet: Subnet }>('GET', joinUrl(this.url, 'subnets', id))).subnet
  }

  async createSubnet(req: CreateSubnetRequest): Promise<Subnet> {
    const body = { subnet: { ip_version: 4, enable_dhcp: true, ...req } }
    return (await this.http.request<{ subnet: Subnet }>('POST', joinUrl(this.url, 'subnets'), { body, expect: [201] })).subnet
  }

  // ---- ports
  async listPorts(): Promise<Port[]> {
    return (await this.http.request<{ ports: Port[] }>('GET', joinUrl(this.url, 'ports'))).ports
  }

  async getPort(id: string): Promise<Port> {
    return (await this.http.request<{ port: Port }>('GET', joinUrl(this.url, 'ports', id))).port
  }

  async createPort(req: CreatePortRequest): Promise<Port> {
    return (await this.http.request<{ port: Port }>('POST', joinUrl(this.url, 'ports'), { body: { port: req }, expect: [201] })).port
  }

  /** DELETE → 204; the port disappears asynchronously (see waitPortGone). */
  async deletePort(id: string): Promise<void> {
    await this.http.request<void>('DELETE', joinUrl(this.url, 'ports', id), { retry: true, goneOnRetry: portGone, expect: [204] })
  }

  /** Poll until GET /ports/{id} is 404. */
  async waitPortGone(id: string, opts?: WaitOptions): Promise<void> {
    await pollUntil(
      'Port',
      id,
      async () => {
        try {
          return await this.getPort(id)
        } catch (err) {
          if (err instanceof OkeanosError && err.status === 404) return undefined
          throw err
        }
      },
      (p) => p === undefined,
      (p) => p?.status ?? 'gone',
      opts,
    )
  }

  // ---- floating IPs
  /** The user's floating IPs (attached or not). */
  async listFloatingIps(): Promise<FloatingIp[]> {
    return (await this.http.request<{ floatingips: FloatingIp[] }>('GET', joinUrl(this.url, 'floatingips'))).floatingips
  }

  async getFloatingIp(id: string): Promise<FloatingIp> {
    return (await this.http.request<{ floatingip: FloatingIp }>('GET', joinUrl(this.url, 'floatingips', id))).floatingip
  }

  /** POST → 200 (sic; the docs say 201, so both are accepted). Never retried. */
  async createFloatingIp(req: CreateFloatingIpRequest = {}): Promise<FloatingIp> {
    const res = await this.http.request<{ floatingip: FloatingIp }>('POST', joinUrl(this.url, 'floatingips'), {
      body: { floatingip: req },
      expect: [200, 201],
    })
    return res.floatingip
  }

  /** DELETE → 204; 409 while attached. */
  async deleteFloatingIp(id: string): Promise<void> {
    await this.http.request<void>('DELETE', joinUrl(this.url, 'floatingips', id), { retry: true, goneOnRetry: notFound, expect: [204] })
  }

  /** Unattached floating IPs (reusable, LoD's reserve_ip). */
  async freeFloatingIps(): Promise<FloatingIp[]> {
    return (await this.listFloatingIps()).filter((f) => f.instance_id === null && f.port_id === null)
  }
}
