/**
 * Cyclades Network API (Synnefo's Cyclades network API, Neutron style): networks, subnets,
 * ports, floating IPs, and the helpers the compute API shares (IP allocation,
 * port creation/removal). Ids are digit strings on the wire.
 */
import type { FastifyRequest } from 'fastify'
import { attrObject, jsonBody, type Routes } from './app.js'
import type { Ctx } from './context.js'
import { badRequest, buildInProgress, conflict, forbidden, itemNotFound } from './faults.js'
import {
  intToIp,
  ipToInt,
  nowIso,
  parseCidr,
  type FloatingIpRec,
  type NetworkRec,
  type PortRec,
  type ServerRec,
  type SubnetRec,
  type UserRec,
} from './state.js'

const NETWORK_TYPES = ['CUSTOM', 'MAC_FILTERED', 'IP_LESS_ROUTED', 'PHYSICAL_VLAN']
/** Types users may create on ~okeanos. */
const USER_NETWORK_TYPES = ['MAC_FILTERED', 'CUSTOM']

const links = (ctx: Ctx, kind: string, id: number | string) => {
  const href = `${ctx.state.baseUrl}/network/v2.0/${kind}/${id}`
  return [
    { rel: 'self', href },
    { rel: 'bookmark', href },
  ]
}

// ---------------------------------------------------------------- views

export function networkToDict(ctx: Ctx, n: NetworkRec) {
  return {
    id: String(n.id),
    name: n.name,
    status: n.status,
    type: n.type,
    user_id: n.userId,
    tenant_id: n.projectId,
    shared_to_project: n.sharedToProject,
    created: n.created,
    updated: n.updated,
    public: n.public,
    shared: n.public,
    'router:external': n.public,
    admin_state_up: n.adminStateUp,
    subnets: n.deleted ? [] : n.subnetIds.map(String),
    'SNF:floating_ip_pool': n.floatingIpPool,
    deleted: n.deleted,
    links: links(ctx, 'networks', n.id),
  }
}

export function subnetToDict(ctx: Ctx, s: SubnetRec) {
  return {
    id: String(s.id),
    network_id: String(s.networkId),
    name: s.name,
    tenant_id: s.projectId,
    user_id: s.userId,
    public: s.public,
    gateway_ip: s.gateway,
    ip_version: 4,
    cidr: s.cidr,
    enable_dhcp: s.enableDhcp,
    dns_nameservers: s.dnsNameservers,
    host_routes: s.hostRoutes,
    allocation_pools: [{ start: intToIp(s.poolStart), end: intToIp(s.poolEnd) }],
    deleted: false,
    links: links(ctx, 'subnets', s.id),
  }
}

export function portToDict(ctx: Ctx, p: PortRec) {
  return {
    id: String(p.id),
    name: p.name,
    status: p.status,
    device_id: p.deviceId !== null ? String(p.deviceId) : '',
    device_owner: p.deviceId !== null ? 'vm' : '',
    network_id: String(p.networkId),
    mac_address: p.mac,
    fixed_ips: p.ipv4 ? [{ ip_address: p.ipv4, subnet: String(p.subnetId) }] : [],
    user_id: p.userId,
    tenant_id: p.projectId,
    admin_state_up: true,
    security_groups: [],
    created: p.created,
    updated: p.updated,
    links: links(ctx, 'ports', p.id),
  }
}

export function floatingIpToDict(ctx: Ctx, f: FloatingIpRec) {
  const port = f.portId !== null ? ctx.state.ports.get(f.portId) : undefined
  return {
    id: String(f.id),
    floating_network_id: String(f.networkId),
    floating_ip_address: f.address,
    fixed_ip_address: null,
    instance_id: port?.deviceId != null ? String(port.deviceId) : null,
    port_id: port ? String(port.id) : null,
    user_id: f.userId,
    tenant_id: f.projectId,
    shared_to_project: false,
    deleted: false,
    links: links(ctx, 'floatingips', f.id),
  }
}

// ---------------------------------------------------------------- lookups and helpers

/** A network the user may use (own or public); deleted ones are returned too. */
export function getNetwork(ctx: Ctx, user: UserRec, raw: unknown): NetworkRec {
  const id = Number(raw)
  const n = Number.isInteger(id) ? ctx.state.networks.get(id) : undefined
  if (!n || (!n.public && n.userId !== user.id)) throw itemNotFound(`Network ${String(raw)} not found.`)
  return n
}

export function getPort(ctx: Ctx, user: UserRec, raw: unknown): PortRec {
  const id = Number(raw)
  const p = Number.isInteger(id) ? ctx.state.ports.get(id) : undefined
  if (!p || p.userId !== user.id) throw itemNotFound(`Port '${String(raw)}' not found.`)
  return p
}

export function getFloatingIp(ctx: Ctx, user: UserRec, raw: unknown): FloatingIpRec {
  const id = Number(raw)
  const f = Number.isInteger(id) ? ctx.state.floatingIps.get(id) : undefined
  if (!f || f.userId !== user.id) throw itemNotFound(`Floating IP with ID ${String(raw)} does not exist.`)
  return f
}

export function subnetOf(ctx: Ctx, n: NetworkRec): SubnetRec | undefined {
  const id = n.subnetIds[0]
  return id !== undefined ? ctx.state.subnets.get(id) : undefined
}

/** Next free address of the pool (first free, in order), or the requested one. */
export function allocateIp(s: SubnetRec, networkId: number, requested?: string): number {
  if (requested !== undefined) {
    const ip = ipToInt(requested)
    if (Number.isNaN(ip) || ip < s.poolStart || ip > s.poolEnd) throw badRequest(`IP address '${requested}' does not belong to network ${networkId}`)
    if (s.used.has(ip)) throw conflict(`IP address '${requested}' is already in use`)
    s.used.add(ip)
    return ip
  }
  for (let ip = s.poolStart; ip <= s.poolEnd; ip++) {
    if (!s.used.has(ip)) {
      s.used.add(ip)
      return ip
    }
  }
  throw conflict(`No more IP addresses available on network ${networkId}`)
}

export function macFor(portId: number): string {
  const hex = portId.toString(16).padStart(6, '0').slice(-6)
  return `aa:00:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`
}

/** The user's floating IP with this address, if any (not deleted). */
export function floatingIpByAddress(ctx: Ctx, user: UserRec, address: string): FloatingIpRec | undefined {
  for (const f of ctx.state.floatingIps.values()) if (f.userId === user.id && f.address === address) return f
  return undefined
}

export function firstFreeFloatingIp(ctx: Ctx, user: UserRec, networkId: number, taken: Set<number>): FloatingIpRec | undefined {
  for (const f of ctx.state.floatingIps.values()) {
    if (f.userId === user.id && f.networkId === networkId && f.portId === null && !taken.has(f.id)) return f
  }
  return undefined
}

export interface NewPort {
  user: UserRec
  projectId: string
  network: NetworkRec
  server: ServerRec | null
  ipv4: string | null
  subnetId: number | null
  floatingIpId: number | null
  name?: string
}

export function createPortRec(ctx: Ctx, spec: NewPort): PortRec {
  const id = ctx.state.counters.port++
  const now = nowIso()
  const port: PortRec = {
    id,
    name: spec.name ?? '',
    networkId: spec.network.id,
    deviceId: spec.server?.id ?? null,
    userId: spec.user.id,
    projectId: spec.projectId,
    status: spec.server ? 'BUILD' : 'DOWN',
    mac: macFor(id),
    ipv4: spec.ipv4,
    subnetId: spec.subnetId,
    floatingIpId: spec.floatingIpId,
    deleting: false,
    created: now,
    updated: now,
  }
  ctx.state.ports.set(id, port)
  if (spec.floatingIpId !== null) ctx.state.floatingIps.get(spec.floatingIpId)!.portId = id
  return port
}

/** Remove a port for good: private address back to the pool, floating IP detached but kept. */
export function removePort(ctx: Ctx, port: PortRec): void {
  if (port.floatingIpId !== null) {
    const f = ctx.state.floatingIps.get(port.floatingIpId)
    if (f && f.portId === port.id) f.portId = null
  } else if (port.subnetId !== null && port.ipv4) {
    ctx.state.subnets.get(port.subnetId)?.used.delete(ipToInt(port.ipv4))
  }
  ctx.state.ports.delete(port.id)
}

export function serverPorts(ctx: Ctx, serverId: number): PortRec[] {
  return [...ctx.state.ports.values()].filter((p) => p.deviceId === serverId)
}

/** Synnefo's validate_server_action for CONNECT/DISCONNECT. */
export function validateNicAction(server: ServerRec, action: 'CONNECT' | 'DISCONNECT'): void {
  if (server.deleted) throw badRequest('Server has been deleted.')
  if (server.task === 'BUILD') throw buildInProgress(`Server '${server.id}' is being built.`)
  if (server.task) throw badRequest(`Cannot perform '${action}' action while there is a pending '${server.task}'.`)
  if (server.operState === 'ERROR') throw badRequest(`Cannot perform '${action}' action while server is in 'ERROR' state.`)
  if (server.operState === 'BUILD') throw buildInProgress(`Server '${server.id}' is being built.`)
  if (server.operState !== 'STARTED' && server.operState !== 'STOPPED') {
    throw badRequest(`Cannot perform '${action}' action while server is in '${server.operState}' state.`)
  }
}

function str(v: unknown, key: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string' && typeof v !== 'number') throw badRequest(`Malformed request. Invalid '${key}' field`)
  return String(v)
}

function project(user: UserRec, raw: unknown): string {
  if (raw === undefined || raw === null) return user.id
  if (typeof raw !== 'string') throw badRequest(`Malformed request. Invalid 'project' field`)
  return raw
}

// ---------------------------------------------------------------- routes

export function registerNetwork(routes: Routes): void {
  const ctx = routes.ctx
  const { state, quota, scheduler } = ctx
  const P = '/network/v2.0'
  const visibleNetworks = (user: UserRec) =>
    [...state.networks.values()].filter((n) => !n.deleted && (n.public || n.userId === user.id))

  // ---- networks
  const listNetworks = (_req: FastifyRequest, _r: unknown, user: UserRec) => ({
    networks: visibleNetworks(user).map((n) => networkToDict(ctx, n)),
  })
  routes.user('GET', `${P}/networks`, 'cyclades', listNetworks)
  routes.user('GET', `${P}/networks/detail`, 'cyclades', listNetworks)

  routes.user('POST', `${P}/networks`, 'cyclades', (req, reply, user) => {
    const net = attrObject(jsonBody(req), 'network')
    const type = net.type
    if (type === undefined) throw badRequest(`Malformed request. Missing attribute 'type'.`)
    if (typeof type !== 'string' || !NETWORK_TYPES.includes(type)) throw badRequest(`Invalid network type '${String(type)}'`)
    if (!USER_NETWORK_TYPES.includes(type)) throw forbidden(`Cannot create network of type '${type}'.`)
    const name = str(net.name, 'name') ?? ''
    const projectId = project(user, net.project)
    quota.commission(user.id, projectId, { 'cyclades.network.private': 1 })
    const now = nowIso()
    const n: NetworkRec = {
      id: state.counters.network++,
      name,
      type,
      userId: user.id,
      projectId,
      public: false,
      floatingIpPool: false,
      status: 'ACTIVE', // "lazy" networks are ACTIVE at once
      deleted: false,
      adminStateUp: net.admin_state_up === false ? false : true,
      sharedToProject: net.shared_to_project === true,
      subnetIds: [],
      created: now,
      updated: now,
    }
    state.networks.set(n.id, n)
    return reply.code(201).send({ network: networkToDict(ctx, n) })
  })

  routes.user('GET', `${P}/networks/:id`, 'cyclades', (req, _reply, user) => ({
    network: networkToDict(ctx, getNetwork(ctx, user, (req.params as { id: string }).id)),
  }))

  routes.user('PUT', `${P}/networks/:id`, 'cyclades', (req, _reply, user) => {
    const n = getNetwork(ctx, user, (req.params as { id: string }).id)
    if (n.public) throw forbidden('Cannot rename the public network.')
    if (n.deleted) throw badRequest('Network has been deleted.')
    const body = attrObject(jsonBody(req), 'network')
    const name = str(body.name, 'name')
    if (name !== undefined) n.name = name
    n.updated = nowIso()
    return { network: networkToDict(ctx, n) }
  })

  routes.user('DELETE', `${P}/networks/:id`, 'cyclades', (req, reply, user) => {
    const n = getNetwork(ctx, user, (req.params as { id: string }).id)
    if (n.public) throw forbidden('Cannot delete the public network.')
    if (n.deleted) throw badRequest('Network has been deleted.')
    if ([...state.ports.values()].some((p) => p.networkId === n.id)) {
      throw conflict(`Cannot delete network. There are ports still configured on network network ${n.id}`)
    }
    if ([...state.floatingIps.values()].some((f) => f.networkId === n.id)) {
      throw conflict('Cannot delete netowrk. Network has allocated floating IPs.')
    }
    n.deleted = true
    n.status = 'DELETED'
    n.updated = nowIso()
    for (const sid of n.subnetIds) state.subnets.delete(sid)
    if (n.userId && n.projectId) quota.release(n.userId, n.projectId, { 'cyclades.network.private': 1 })
    return reply.code(204).send()
  })

  // ---- subnets
  const visibleSubnets = (user: UserRec) =>
    [...state.subnets.values()].filter((s) => s.public || s.userId === user.id)
  const listSubnets = (_req: FastifyRequest, _r: unknown, user: UserRec) => ({
    subnets: visibleSubnets(user).map((s) => subnetToDict(ctx, s)),
  })
  routes.user('GET', `${P}/subnets`, 'cyclades', listSubnets)
  routes.user('GET', `${P}/subnets/detail`, 'cyclades', listSubnets)

  routes.user('GET', `${P}/subnets/:id`, 'cyclades', (req, _reply, user) => {
    const id = Number((req.params as { id: string }).id)
    const s = state.subnets.get(id)
    if (!s || (!s.public && s.userId !== user.id)) throw itemNotFound('Subnet not found')
    return { subnet: subnetToDict(ctx, s) }
  })

  routes.user('DELETE', `${P}/subnets/:id`, 'cyclades', () => {
    throw badRequest('Deletion of a subnet is not supported')
  })

  routes.user('POST', `${P}/subnets`, 'cyclades', (req, reply, user) => {
    const body = attrObject(jsonBody(req), 'subnet')
    if (body.network_id === undefined || body.cidr === undefined) throw badRequest('Malformed request')
    const netId = Number(body.network_id)
    const n = Number.isInteger(netId) ? state.networks.get(netId) : undefined
    if (!n || n.deleted || (!n.public && n.userId !== user.id)) throw itemNotFound('No network found with that ID')
    if (n.public) throw forbidden('Forbidden operation')
    const ipVersion = body.ip_version ?? 4
    if (ipVersion !== 4 && ipVersion !== 6) throw badRequest('Malformed request')
    if (ipVersion === 6) throw badRequest('IPv6 subnets are not supported by the emulator')
    if (typeof body.cidr !== 'string') throw badRequest('Malformed CIDR')
    const cidr = parseCidr(body.cidr)
    if (!cidr) throw badRequest('Malformed CIDR')
    if (n.subnetIds.length > 0) throw badRequest('Only one subnet of IPv4/IPv6 per network is allowed')
    if ([...state.ports.values()].some((p) => p.networkId === n.id)) {
      throw badRequest(`Cannot create subnet in network ${n.id}, VMs are already connected to this network`)
    }
    let gateway: number | null = cidr.first
    if (body.gateway_ip === null) gateway = null
    else if (body.gateway_ip !== undefined) {
      gateway = typeof body.gateway_ip === 'string' ? ipToInt(body.gateway_ip) : NaN
      if (Number.isNaN(gateway) || gateway < cidr.first || gateway > cidr.last) throw badRequest('Gateway IP is not in the subnet')
    }
    let poolStart = gateway === cidr.first ? cidr.first + 1 : cidr.first
    let poolEnd = cidr.last
    const pools = body.allocation_pools
    if (pools !== undefined) {
      const first = Array.isArray(pools) ? (pools[0] as { start?: unknown; end?: unknown } | undefined) : undefined
      const start = typeof first?.start === 'string' ? ipToInt(first.start) : NaN
      const end = typeof first?.end === 'string' ? ipToInt(first.end) : NaN
      if (!Array.isArray(pools) || pools.length !== 1 || Number.isNaN(start) || Number.isNaN(end) || start > end || start < cidr.first || end > cidr.last) {
        throw badRequest('Malformed allocation pools')
      }
      if (gateway !== null && gateway >= start && gateway <= end) throw conflict('Gateway IP in allocation pool')
      poolStart = start
      poolEnd = end
    }
    const dns = Array.isArray(body.dns_nameservers) ? body.dns_nameservers.map(String) : []
    const s: SubnetRec = {
      id: state.counters.subnet++,
      networkId: n.id,
      name: str(body.name, 'name') ?? '',
      userId: user.id,
      projectId: n.projectId,
      cidr: `${intToIp(cidr.network)}/${cidr.prefix}`,
      gateway: gateway === null ? null : intToIp(gateway),
      enableDhcp: body.enable_dhcp !== false,
      dnsNameservers: dns,
      hostRoutes: Array.isArray(body.host_routes) ? body.host_routes : [],
      poolStart,
      poolEnd,
      used: new Set(gateway === null ? [] : [gateway]),
      public: false,
    }
    state.subnets.set(s.id, s)
    n.subnetIds.push(s.id)
    n.updated = nowIso()
    return reply.code(201).send({ subnet: subnetToDict(ctx, s) })
  })

  // ---- ports
  const listPorts = (_req: FastifyRequest, _r: unknown, user: UserRec) => ({
    ports: [...state.ports.values()].filter((p) => p.userId === user.id).map((p) => portToDict(ctx, p)),
  })
  routes.user('GET', `${P}/ports`, 'cyclades', listPorts)
  routes.user('GET', `${P}/ports/detail`, 'cyclades', listPorts)

  routes.user('GET', `${P}/ports/:id`, 'cyclades', (req, _reply, user) => ({
    port: portToDict(ctx, getPort(ctx, user, (req.params as { id: string }).id)),
  }))

  routes.user('POST', `${P}/ports`, 'cyclades', (req, reply, user) => {
    const body = attrObject(jsonBody(req), 'port')
    if (body.network_id === undefined) throw badRequest(`Malformed request. Missing attribute 'network_id'.`)
    const n = getNetwork(ctx, user, body.network_id)
    if (n.deleted) throw conflict(`Cannot create port. Network ${n.id} is being deleted.`)
    let server: ServerRec | null = null
    if (body.device_id !== undefined && body.device_id !== null && body.device_id !== '') {
      const sid = Number(body.device_id)
      const s = Number.isInteger(sid) ? state.servers.get(sid) : undefined
      if (!s || s.userId !== user.id) throw itemNotFound('Server not found.')
      validateNicAction(s, 'CONNECT')
      server = s
    }
    const fixed = body.fixed_ips
    if (fixed !== undefined && !Array.isArray(fixed)) throw badRequest(`Malformed request. Invalid 'fixed_ips' field`)
    if (Array.isArray(fixed) && fixed.length > 1) throw badRequest('Only one ip can be specified')
    const wanted = Array.isArray(fixed) && fixed[0] ? (fixed[0] as { ip_address?: unknown }).ip_address : undefined
    if (wanted !== undefined && typeof wanted !== 'string') throw badRequest(`Malformed request. Invalid 'fixed_ips' field`)
    const projectId = server?.projectId ?? project(user, body.project)
    let ipv4: string | null = null
    let subnetId: number | null = null
    let floatingIpId: number | null = null
    if (n.public) {
      const f = wanted !== undefined ? floatingIpByAddress(ctx, user, wanted) : undefined
      if (!f || f.networkId !== n.id) {
        throw badRequest(`'fixed_ips' attribute must contain a floating IP address in order to connect to a public network.`)
      }
      if (f.portId !== null) throw conflict(`IP address '${f.address}' is already in use`)
      ipv4 = f.address
      subnetId = n.subnetIds[0] ?? null
      floatingIpId = f.id
    } else {
      const s = subnetOf(ctx, n)
      if (s) {
        ipv4 = intToIp(allocateIp(s, n.id, wanted))
        subnetId = s.id
      }
    }
    const port = createPortRec(ctx, {
      user,
      projectId,
      network: n,
      server,
      ipv4,
      subnetId,
      floatingIpId,
      name: str(body.name, 'name') ?? '',
    })
    if (server) {
      const s = server
      s.task = 'CONNECT'
      s.taskStarted = Date.now()
      scheduler.after(state.delays.portCreate, () => {
        const p = state.ports.get(port.id)
        if (s.task === 'CONNECT') {
          s.task = ''
          s.updated = nowIso()
        }
        if (p && !p.deleting && p.status === 'BUILD') {
          p.status = 'ACTIVE'
          p.updated = nowIso()
        }
      })
    }
    return reply.code(201).send({ port: portToDict(ctx, port) })
  })

  routes.user('DELETE', `${P}/ports/:id`, 'cyclades', (req, reply, user) => {
    const port = getPort(ctx, user, (req.params as { id: string }).id)
    const n = state.networks.get(port.networkId)
    if (n?.public && port.floatingIpId === null) throw forbidden('Cannot disconnect from public network.')
    const server = port.deviceId !== null ? state.servers.get(port.deviceId) : undefined
    if (server) {
      validateNicAction(server, 'DISCONNECT')
      server.task = 'DISCONNECT'
      server.taskStarted = Date.now()
    } else if (port.deleting) {
      return reply.code(204).send()
    }
    port.deleting = true
    // The port keeps its status while the DISCONNECT job runs, then disappears (GET → 404).
    scheduler.after(state.delays.portDelete, () => {
      if (state.ports.get(port.id) === port) removePort(ctx, port)
      if (server && server.task === 'DISCONNECT') {
        server.task = ''
        server.updated = nowIso()
      }
    })
    return reply.code(204).send()
  })

  // ---- floating IPs
  const listFloatingIps = (_req: FastifyRequest, _r: unknown, user: UserRec) => ({
    floatingips: [...state.floatingIps.values()].filter((f) => f.userId === user.id).map((f) => floatingIpToDict(ctx, f)),
  })
  routes.user('GET', `${P}/floatingips`, 'cyclades', listFloatingIps)
  routes.user('GET', `${P}/floatingips/detail`, 'cyclades', listFloatingIps)

  routes.user('GET', `${P}/floatingips/:id`, 'cyclades', (req, _reply, user) => ({
    floatingip: floatingIpToDict(ctx, getFloatingIp(ctx, user, (req.params as { id: string }).id)),
  }))

  routes.user('POST', `${P}/floatingips`, 'cyclades', (req, reply, user) => {
    const body = attrObject(jsonBody(req), 'floatingip')
    const projectId = project(user, body.project)
    let pool: NetworkRec | undefined
    if (body.floating_network_id !== undefined && body.floating_network_id !== null) {
      const id = Number(body.floating_network_id)
      if (!Number.isInteger(id)) throw badRequest('Invalid networkd ID.')
      pool = getNetwork(ctx, user, id)
      if (!pool.floatingIpPool) throw conflict(`Cannot allocate floating IP. Network ${id} is not a floating IP pool.`)
    } else {
      pool = [...state.networks.values()].find((n) => n.floatingIpPool && !n.deleted)
      if (!pool) throw conflict('Cannot allocate a floating IP address.')
    }
    const subnet = subnetOf(ctx, pool)
    if (!subnet) throw conflict('Cannot allocate a floating IP address.')
    const wanted = body.floating_ip_address
    if (wanted !== undefined && wanted !== null && typeof wanted !== 'string') throw badRequest(`Malformed request. Invalid 'floating_ip_address' field`)
    // Check the address first so a full pool does not cost quota.
    let ip: number
    try {
      ip = allocateIp(subnet, pool.id, wanted ?? undefined)
    } catch {
      if (wanted) throw conflict(`IP address ${wanted} is already used.`)
      throw conflict('Cannot allocate a floating IP address.')
    }
    try {
      quota.commission(user.id, projectId, { 'cyclades.floating_ip': 1 })
    } catch (err) {
      subnet.used.delete(ip)
      throw err
    }
    const f: FloatingIpRec = {
      id: state.counters.floatingIp++,
      address: intToIp(ip),
      networkId: pool.id,
      userId: user.id,
      projectId,
      portId: null,
      created: nowIso(),
    }
    state.floatingIps.set(f.id, f)
    return reply.code(200).send({ floatingip: floatingIpToDict(ctx, f) })
  })

  routes.user('DELETE', `${P}/floatingips/:id`, 'cyclades', (req, reply, user) => {
    const f = getFloatingIp(ctx, user, (req.params as { id: string }).id)
    if (f.portId !== null) {
      const port = state.ports.get(f.portId)
      if (port?.deviceId != null) throw conflict(`IP '${f.id}' is used by server '${port.deviceId}'`)
      throw conflict(`IP '${f.id}' is used by port '${f.portId}'`)
    }
    state.floatingIps.delete(f.id)
    state.subnets.get(state.networks.get(f.networkId)?.subnetIds[0] ?? -1)?.used.delete(ipToInt(f.address))
    quota.release(f.userId, f.projectId, { 'cyclades.floating_ip': 1 })
    return reply.code(204).send()
  })
}
