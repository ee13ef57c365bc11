/**
 * Cyclades Compute API (Synnefo's Cyclades compute API): flavors, images, servers with their
 * asynchronous lifecycle, actions, and the user's SSH keys (/userdata/keys).
 */
import type { FastifyRequest } from 'fastify'
import { attrObject, jsonBody, type Routes } from './app.js'
import type { Ctx } from './context.js'
import { Fault, badRequest, buildInProgress, conflict, forbidden, itemNotFound, overLimit } from './faults.js'
import {
  allocateIp,
  createPortRec,
  firstFreeFloatingIp,
  floatingIpByAddress,
  getNetwork,
  removePort,
  serverPorts,
  subnetOf,
} from './network.js'
import { serverCharges } from './quota.js'
import { ServiceVm } from './service-vm.js'
import { intToIp, nowIso, type FlavorRec, type ImageRec, type PersonalityFile, type ServerRec, type ServerTask, type UserRec } from './state.js'
import { keyFingerprint } from './users.js'

const MAX_PERSONALITY = 5
const MAX_PERSONALITY_SIZE = 10240

const TASK_STATE: Record<ServerTask, string> = {
  '': '',
  BUILD: 'BUILDING',
  START: 'STARTING',
  STOP: 'STOPPING',
  REBOOT: 'REBOOTING',
  DESTROY: 'DESTROYING',
  CONNECT: 'CONNECTING',
  DISCONNECT: 'DISCONNECTING',
}

// ---------------------------------------------------------------- views

const selfLinks = (href: string) => [
  { rel: 'self', href },
  { rel: 'bookmark', href },
]

export function flavorToDict(ctx: Ctx, f: FlavorRec, detail: boolean) {
  const base = { id: f.id, name: f.name, links: selfLinks(`${ctx.state.baseUrl}/compute/v2.0/flavors/${f.id}`) }
  if (!detail) return base
  return {
    ...base,
    vcpus: f.vcpus,
    ram: f.ram,
    disk: f.disk,
    'SNF:disk_template': f.diskTemplate,
    'SNF:volume_type': 1,
    'SNF:allow_create': f.allowCreate,
    'os-flavor-access:is_public': true,
    'SNF:flavor-access': [],
  }
}

export function imageToDict(ctx: Ctx, img: ImageRec, detail: boolean) {
  const base = { id: img.id, name: img.name, links: selfLinks(`${ctx.state.baseUrl}/compute/v2.0/images/${img.id}`) }
  if (!detail) return base
  return {
    ...base,
    created: img.created,
    updated: img.created,
    status: 'ACTIVE',
    progress: 100,
    user_id: img.owner,
    tenant_id: img.owner,
    public: img.public,
    is_snapshot: false,
    metadata: img.metadata,
  }
}

export function apiStatus(s: ServerRec): string {
  if (s.deleted || s.operState === 'DESTROYED') return 'DELETED'
  switch (s.operState) {
    case 'BUILD':
      return 'BUILD'
    case 'STARTED':
      return s.task === 'REBOOT' ? 'REBOOT' : 'ACTIVE'
    case 'STOPPED':
      return 'STOPPED'
    case 'ERROR':
      return 'ERROR'
  }
}

function progress(ctx: Ctx, s: ServerRec): number {
  if (s.deleted) return 0
  if (s.operState === 'STARTED' || s.operState === 'STOPPED') return 100
  if (s.operState !== 'BUILD') return 0
  const pct = Math.floor(((Date.now() - s.taskStarted) / Math.max(1, ctx.state.delays.build)) * 100)
  // A stuck build stalls half-way, as a hung Ganeti job would.
  return Math.max(0, Math.min(s.fate === 'stuck' ? 50 : 99, pct))
}

export function serverToDict(ctx: Ctx, s: ServerRec) {
  const base = ctx.state.baseUrl
  const attachments: unknown[] = []
  const addresses: Record<string, unknown[]> = {}
  // Only ACTIVE ports show up (empty while the server builds).
  for (const p of serverPorts(ctx, s.id)) {
    if (p.status !== 'ACTIVE') continue
    const type = p.floatingIpId !== null ? 'floating' : 'fixed'
    attachments.push({
      id: p.id,
      network_id: String(p.networkId),
      mac_address: p.mac,
      ipv4: p.ipv4 ?? '',
      ipv6: '',
      'OS-EXT-IPS:type': type,
      firewallProfile: 'DISABLED',
    })
    if (p.ipv4) (addresses[String(p.networkId)] ??= []).push({ version: 4, addr: p.ipv4, 'OS-EXT-IPS:type': type })
  }
  return {
    id: s.id,
    name: s.name,
    links: selfLinks(`${base}/compute/v2.0/servers/${s.id}`),
    user_id: s.userId,
    tenant_id: s.projectId,
    status: apiStatus(s),
    'SNF:task_state': TASK_STATE[s.task],
    progress: progress(ctx, s),
    created: s.created,
    updated: s.updated,
    hostId: '',
    flavor: { id: s.flavorId, links: selfLinks(`${base}/compute/v2.0/flavors/${s.flavorId}`) },
    image: { id: s.imageId, links: selfLinks(`${base}/compute/v2.0/images/${s.imageId}`) },
    suspended: s.suspended,
    metadata: s.metadata,
    tags: [],
    volumes: [s.volumeId],
    diagnostics: [],
    security_groups: [{ name: 'default' }],
    key_name: s.keyNames[0] ?? null,
    'SNF:key_names': s.keyNames,
    config_drive: '',
    accessIPv4: '',
    accessIPv6: '',
    'SNF:fqdn': `snf-${s.id}.vm.okeanos.grnet.gr`,
    'SNF:port_forwarding': {},
    deleted: s.deleted,
    'SNF:rescue': false,
    shared_to_project: false,
    attachments,
    addresses,
  }
}

// ---------------------------------------------------------------- lookups

export function getServer(ctx: Ctx, user: UserRec, raw: string): ServerRec {
  if (!/^\d+$/.test(raw)) throw badRequest('Invalid server ID.')
  const s = ctx.state.servers.get(Number(raw))
  if (!s || s.userId !== user.id) throw itemNotFound('Server not found.')
  return s
}

function getFlavor(ctx: Ctx, raw: unknown): FlavorRec {
  if (typeof raw !== 'number' && !(typeof raw === 'string' && /^\d+$/.test(raw))) throw badRequest(`Invalid flavor ID '${String(raw)}'`)
  const f = ctx.state.flavors.get(Number(raw))
  if (!f) throw itemNotFound('Flavor not found.')
  return f
}

function getImage(ctx: Ctx, raw: string): ImageRec {
  const img = ctx.state.images.get(raw)
  if (!img) throw itemNotFound(`Image '${raw}' not found`)
  return img
}

// ---------------------------------------------------------------- lifecycle

/** Cpu/ram while running; vm/disk (and the hidden totals) until DELETED. */
function releaseRun(ctx: Ctx, s: ServerRec): void {
  if (!s.runCharged) return
  ctx.quota.release(s.userId, s.projectId, serverCharges(ctx.state.flavors.get(s.flavorId)!, 'run'))
  s.runCharged = false
}

function chargeRun(ctx: Ctx, s: ServerRec): void {
  if (s.runCharged) return
  ctx.quota.commission(s.userId, s.projectId, serverCharges(ctx.state.flavors.get(s.flavorId)!, 'run'))
  s.runCharged = true
}

function finishBuild(ctx: Ctx, s: ServerRec): void {
  if (s.deleted || s.task !== 'BUILD' || s.operState !== 'BUILD') return
  const now = nowIso()
  s.task = ''
  s.updated = now
  const ports = serverPorts(ctx, s.id)
  if (s.fate === 'error') {
    s.operState = 'ERROR'
    for (const p of ports) {
      p.status = 'ERROR'
      p.updated = now
    }
    return
  }
  s.operState = 'STARTED'
  s.boots++
  for (const p of ports) {
    if (p.status === 'BUILD') {
      p.status = 'ACTIVE'
      p.updated = now
    }
  }
  const first = !s.everActive
  s.everActive = true
  const cfg = first ? ServiceVm.configFrom(s.personality) : undefined
  if (cfg) ctx.serviceVm.start(s.id, cfg, () => !s.deleted && s.operState === 'STARTED' && s.task !== 'DESTROY')
}

function finishDestroy(ctx: Ctx, s: ServerRec): void {
  if (s.deleted) return
  for (const p of serverPorts(ctx, s.id)) removePort(ctx, p)
  releaseRun(ctx, s)
  ctx.quota.release(s.userId, s.projectId, serverCharges(ctx.state.flavors.get(s.flavorId)!, 'base'))
  s.deleted = true
  s.operState = 'DESTROYED'
  s.task = ''
  s.updated = nowIso()
  ctx.masters.forget(s.id)
}

type Action = 'START' | 'STOP' | 'REBOOT'

/** Synnefo's validate_server_action (Synnefo's server actions), in its order. */
function validateAction(s: ServerRec, action: Action): void {
  if (s.deleted) throw badRequest('Server has been deleted.')
  if (s.task === 'BUILD') throw buildInProgress(`Server '${s.id}' is being built.`)
  if (s.task) throw badRequest(`Cannot perform '${action}' action while there is a pending '${s.task}'.`)
  if (s.operState === 'ERROR') throw badRequest(`Cannot perform '${action}' action while server is in 'ERROR' state.`)
  if (s.operState === 'BUILD') throw buildInProgress(`Server '${s.id}' is being built.`)
  if ((action === 'START' && s.operState !== 'STOPPED') || (action === 'STOP' && s.operState !== 'STARTED')) {
    throw badRequest(`Cannot perform '${action}' action while server is in '${s.operState}' state.`)
  }
}

function runAction(ctx: Ctx, s: ServerRec, action: Action): void {
  validateAction(s, action)
  const { delays } = ctx.state
  if (action === 'START' || (action === 'REBOOT' && s.operState === 'STOPPED')) chargeRun(ctx, s)
  const task: ServerTask = action
  s.task = task
  s.taskStarted = Date.now()
  s.updated = nowIso()
  const ms = action === 'START' ? delays.start : action === 'STOP' ? delays.stop : delays.reboot
  ctx.scheduler.after(ms, () => {
    if (s.deleted || s.task !== task) return
    s.task = ''
    s.updated = nowIso()
    if (action === 'STOP') {
      s.operState = 'STOPPED'
      releaseRun(ctx, s)
    } else {
      s.operState = 'STARTED'
      s.boots++
    }
  })
}

// ---------------------------------------------------------------- create

function verifyPersonality(raw: unknown): PersonalityFile[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw badRequest('Malformed personality in request')
  if (raw.length > MAX_PERSONALITY) throw overLimit('Maximum number of personalities exceeded')
  const allowed = new Set(['contents', 'group', 'mode', 'owner', 'path'])
  return raw.map((p: unknown) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw badRequest('Malformed personality in request')
    const e = p as Record<string, unknown>
    if (Object.keys(e).some((k) => !allowed.has(k))) throw badRequest('Malformed personality in request')
    if (typeof e.path !== 'string' || typeof e.contents !== 'string') throw badRequest('Malformed personality in request')
    if (e.contents.length > MAX_PERSONALITY_SIZE * 2 || Buffer.from(e.contents, 'base64').length > MAX_PERSONALITY_SIZE) {
      throw overLimit('Maximum size of personality exceeded')
    }
    const file: PersonalityFile = { path: e.path, contents: e.contents }
    if (typeof e.owner === 'string') file.owner = e.owner
    if (typeof e.group === 'string') file.group = e.group
    if (typeof e.mode === 'number') file.mode = e.mode
    return file
  })
}

function strongPassword(p: string): boolean {
  return p.length >= 10 && /[a-z]/.test(p) && /[A-Z]/.test(p) && /\d/.test(p)
}

/** A NIC to create, decided before anything is charged. */
interface PlannedNic {
  networkId: number
  kind: 'floating' | 'private' | 'port'
  floatingIpId?: number
  fixedIp?: string
  portId?: number
}

function planNetworks(ctx: Ctx, user: UserRec, raw: unknown): PlannedNic[] {
  // Omitted: the emulator's default policy is "no NICs" (real ~okeanos may auto-assign a public IP).
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw badRequest(`Malformed request. Invalid 'networks' field`)
  const takenIps = new Set<number>()
  const plan: PlannedNic[] = []
  for (const entry of raw) {
    if (!entry || typeof entry !== 'object') throw badRequest('Malformed request')
    const e = entry as { uuid?: unknown; port?: unknown; fixed_ip?: unknown }
    if (e.port !== undefined && e.port !== null) {
      const id = Number(e.port)
      const port = Number.isInteger(id) ? ctx.state.ports.get(id) : undefined
      if (!port || port.userId !== user.id) throw itemNotFound(`Port '${String(e.port)}' not found.`)
      if (port.deviceId !== null || port.deleting) throw conflict(`Port '${port.id}' is already in use`)
      plan.push({ networkId: port.networkId, kind: 'port', portId: port.id })
      continue
    }
    if (e.uuid === undefined || e.uuid === null) throw badRequest(`Network 'uuid' or 'port' attribute is required.`)
    const net = getNetwork(ctx, user, e.uuid)
    if (net.deleted) throw badRequest('Network has been deleted.')
    const fixed = e.fixed_ip
    if (fixed !== undefined && typeof fixed !== 'string') throw badRequest(`Malformed request. Invalid 'fixed_ip' field`)
    if (net.public) {
      let fip
      if (fixed !== undefined) {
        fip = floatingIpByAddress(ctx, user, fixed)
        if (!fip || fip.networkId !== net.id) throw itemNotFound('Floating IP does not exist.')
        if (fip.portId !== null || takenIps.has(fip.id)) throw conflict(`IP address '${fixed}' is already in use`)
      } else {
        fip = firstFreeFloatingIp(ctx, user, net.id, takenIps)
        if (!fip) {
          throw conflict(`Cannot find an unused floating IP to connect server to network '${net.id}'. Please create a floating IP.`)
        }
      }
      takenIps.add(fip.id)
      plan.push({ networkId: net.id, kind: 'floating', floatingIpId: fip.id })
    } else {
      const nic: PlannedNic = { networkId: net.id, kind: 'private' }
      if (fixed !== undefined) nic.fixedIp = fixed
      plan.push(nic)
    }
  }
  return plan
}

function createServer(ctx: Ctx, user: UserRec, req: FastifyRequest): ServerRec {
  const { state } = ctx
  const srv = attrObject(jsonBody(req), 'server')
  for (const key of ['name', 'imageRef', 'flavorRef']) {
    if (srv[key] === undefined) throw badRequest(`Malformed request. Missing attribute '${key}'.`)
  }
  if (typeof srv.name !== 'string') throw badRequest(`Malformed request. Invalid 'name' field`)
  if (srv.name.length > 255) throw badRequest('Server name is too long')
  if (typeof srv.imageRef !== 'string') throw badRequest(`Malformed request. Invalid 'imageRef' field`)
  const metadata = srv.metadata ?? {}
  if (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw badRequest('Malformed request. Invalid metadata.')
  }
  const personality = verifyPersonality(srv.personality)
  if (srv.key_name !== undefined && srv['SNF:key_names'] !== undefined) {
    throw badRequest('Only one of the SNF:key_names andkey_name can be set')
  }
  const keyNames: string[] =
    typeof srv.key_name === 'string' ? [srv.key_name] : Array.isArray(srv['SNF:key_names']) ? srv['SNF:key_names'].map(String) : []
  for (const k of keyNames) if (!user.sshKeys.some((u) => u.name === k)) throw itemNotFound(`Keypair '${k}' not found`)
  if (srv.adminPass !== undefined && (typeof srv.adminPass !== 'string' || !strongPassword(srv.adminPass))) {
    throw badRequest('Password not strong (must contain upper case, lower case, digits and be at least 10 characters!')
  }
  const projectId = srv.project === undefined || srv.project === null ? user.id : srv.project
  if (typeof projectId !== 'string') throw badRequest(`Malformed request. Invalid 'project' field`)
  const flavor = getFlavor(ctx, srv.flavorRef)
  if (!flavor.allowCreate) {
    throw forbidden(`It is not allowed to create a server from flavor with id '${flavor.id}', see 'allow_create' flavor attribute`)
  }
  const image = getImage(ctx, srv.imageRef)
  const plan = planNetworks(ctx, user, srv.networks)

  // All checks passed: charge, then allocate. Private-IP exhaustion after the
  // charge rolls everything back, as Cyclades' transaction would.
  ctx.quota.commission(user.id, projectId, serverCharges(flavor, 'all'))
  const now = nowIso()
  const s: ServerRec = {
    id: state.counters.server++,
    name: srv.name,
    userId: user.id,
    projectId,
    flavorId: flavor.id,
    imageId: image.id,
    operState: 'BUILD',
    task: 'BUILD',
    taskStarted: Date.now(),
    deleted: false,
    suspended: false,
    created: now,
    updated: now,
    adminPass: typeof srv.adminPass === 'string' ? srv.adminPass : state.randomString(10),
    metadata: metadata as Record<string, string>,
    personality,
    keyNames,
    fate: ctx.builds.fateFor(srv.name),
    runCharged: true,
    everActive: false,
    boots: 0,
    volumeId: state.counters.volume++,
  }
  const created: number[] = []
  const adopted: number[] = []
  try {
    for (const nic of plan) {
      const net = state.networks.get(nic.networkId)!
      if (nic.kind === 'port') {
        const port = state.ports.get(nic.portId!)!
        port.deviceId = s.id
        port.status = 'BUILD'
        adopted.push(port.id)
        continue
      }
      if (nic.kind === 'floating') {
        const fip = state.floatingIps.get(nic.floatingIpId!)!
        created.push(
          createPortRec(ctx, { user, projectId, network: net, server: s, ipv4: fip.address, subnetId: net.subnetIds[0] ?? null, floatingIpId: fip.id }).id,
        )
        continue
      }
      const subnet = subnetOf(ctx, net)
      const ip = subnet ? intToIp(allocateIp(subnet, net.id, nic.fixedIp)) : null
      created.push(createPortRec(ctx, { user, projectId, network: net, server: s, ipv4: ip, subnetId: subnet?.id ?? null, floatingIpId: null }).id)
    }
  } catch (err) {
    for (const id of created) removePort(ctx, state.ports.get(id)!)
    for (const id of adopted) Object.assign(state.ports.get(id)!, { deviceId: null, status: 'DOWN' })
    ctx.quota.release(user.id, projectId, serverCharges(flavor, 'all'))
    state.counters.volume--
    state.counters.server--
    throw err
  }
  state.servers.set(s.id, s)
  if (s.fate !== 'stuck') ctx.scheduler.after(state.delays.build, () => finishBuild(ctx, s))
  return s
}

// ---------------------------------------------------------------- routes

export function registerCompute(routes: Routes): void {
  const ctx = routes.ctx
  const { state, scheduler } = ctx
  const C = '/compute/v2.0'

  // ---- flavors
  const flavors = (detail: boolean) => () => ({
    flavors: [...state.flavors.values()].sort((a, b) => a.id - b.id).map((f) => flavorToDict(ctx, f, detail)),
  })
  routes.user('GET', `${C}/flavors`, 'cyclades', flavors(false))
  routes.user('GET', `${C}/flavors/detail`, 'cyclades', flavors(true))
  routes.user('GET', `${C}/flavors/:id`, 'cyclades', (req) => {
    const id = (req.params as { id: string }).id
    if (!/^\d+$/.test(id)) throw badRequest(`Invalid flavor ID '${id}'`)
    return { flavor: flavorToDict(ctx, getFlavor(ctx, id), true) }
  })

  // ---- images
  const images = (detail: boolean) => () => ({ images: [...state.images.values()].map((i) => imageToDict(ctx, i, detail)) })
  routes.user('GET', `${C}/images`, 'cyclades', images(false))
  routes.user('GET', `${C}/images/detail`, 'cyclades', images(true))
  routes.user('GET', `${C}/images/:id`, 'cyclades', (req) => ({
    image: imageToDict(ctx, getImage(ctx, (req.params as { id: string }).id), true),
  }))

  // ---- servers
  const listServers = (detail: boolean) => (req: FastifyRequest, reply: import('fastify').FastifyReply, user: UserRec) => {
    const since = (req.query as Record<string, string>)['changes-since']
    let list = [...state.servers.values()].filter((s) => s.userId === user.id)
    if (since !== undefined) {
      const t = Date.parse(since)
      if (Number.isNaN(t)) throw badRequest('Invalid changes-since parameter.')
      list = list.filter((s) => Date.parse(s.updated) >= t)
      if (list.length === 0) return reply.code(304).send()
    } else {
      list = list.filter((s) => !s.deleted)
    }
    list.sort((a, b) => a.id - b.id)
    return { servers: list.map((s) => (detail ? serverToDict(ctx, s) : { id: s.id, name: s.name, links: selfLinks(`${state.baseUrl}${C}/servers/${s.id}`) })) }
  }
  routes.user('GET', `${C}/servers`, 'cyclades', listServers(false))
  routes.user('GET', `${C}/servers/detail`, 'cyclades', listServers(true))

  routes.user('POST', `${C}/servers`, 'cyclades', (req, reply, user) => {
    const s = createServer(ctx, user, req)
    const body = { server: { ...serverToDict(ctx, s), status: 'BUILD', progress: 0, adminPass: s.adminPass } }
    return reply.code(202).send(body)
  })

  routes.user('GET', `${C}/servers/:id`, 'cyclades', (req, _reply, user) => ({
    server: serverToDict(ctx, getServer(ctx, user, (req.params as { id: string }).id)),
  }))

  routes.user('DELETE', `${C}/servers/:id`, 'cyclades', (req, reply, user) => {
    const s = getServer(ctx, user, (req.params as { id: string }).id)
    if (s.deleted) throw badRequest('Server has been deleted.')
    if (s.suspended) throw forbidden('Administratively Suspended VM')
    // Destroying is permitted in any state, also while another job is pending.
    if (s.task !== 'DESTROY') {
      s.task = 'DESTROY'
      s.taskStarted = Date.now()
      s.updated = nowIso()
      scheduler.after(state.delays.destroy, () => finishDestroy(ctx, s))
    }
    return reply.code(204).send()
  })

  routes.user('POST', `${C}/servers/:id/action`, 'cyclades', (req, reply, user) => {
    const s = getServer(ctx, user, (req.params as { id: string }).id)
    const body = jsonBody(req)
    const keys = Object.keys(body)
    if (keys.length !== 1) throw badRequest('Malformed request')
    const key = keys[0]!
    if (s.deleted) throw badRequest('Server has been deleted.')
    if (s.suspended) throw forbidden('Administratively Suspended VM')
    switch (key) {
      case 'start':
      case 'os-start':
        runAction(ctx, s, 'START')
        break
      case 'shutdown':
      case 'os-stop':
        runAction(ctx, s, 'STOP')
        break
      case 'reboot': {
        const type = (body.reboot as { type?: unknown } | null)?.type
        if (type !== 'SOFT' && type !== 'HARD') throw badRequest(`Invalid 'type' attribute.`)
        runAction(ctx, s, 'REBOOT')
        break
      }
      case 'resize':
      case 'console':
      case 'firewallProfile':
      case 'reassign':
      case 'rescue':
      case 'unrescue':
      case 'addFloatingIp':
      case 'removeFloatingIp':
      case 'changePassword':
      case 'createImage':
        // Real Cyclades actions the emulator does not model.
        throw new Fault(501, 'notImplemented', `Action ${key} is not implemented by the ~okeanos emulator`)
      default:
        throw badRequest(`Action ${key} not supported`)
    }
    return reply.code(202).send()
  })

  // ---- the user's SSH keys, as the ~okeanos UI stores them
  routes.user('GET', '/userdata/keys', 'cyclades', (_req, _reply, user) =>
    user.sshKeys.map((k) => ({
      uri: `/userdata/keys/${k.id}`,
      id: String(k.id),
      name: k.name,
      content: k.content,
      fingerprint: keyFingerprint(k.content),
    })),
  )
}
