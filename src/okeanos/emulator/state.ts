/**
 * The emulator's in-memory model of one ~okeanos installation.
 *
 * Only data and small helpers live here; the rules of each service are in
 * compute.ts, network.ts and quota.ts. Ids come from fixed counters and
 * "random" strings (adminPass, MACs) from a seeded PRNG, so a test run is
 * reproducible. Ids are typed as on the wire (Synnefo's fault format): servers and
 * flavors are numbers; networks, subnets, ports and floating IPs are numbers
 * here and digit strings in Network-API bodies; images, users, projects uuids.
 */
import type { BlobRef } from './blobs.js'
import type { EmulatorDelays } from './delays.js'
import type { ResourceName } from './resources.js'

export type ServerOperState = 'BUILD' | 'STARTED' | 'STOPPED' | 'ERROR' | 'DESTROYED'
/** Pending Ganeti job, in Synnefo's action names (SNF:task_state adds "ING"). */
export type ServerTask = '' | 'BUILD' | 'START' | 'STOP' | 'REBOOT' | 'DESTROY' | 'CONNECT' | 'DISCONNECT'
/** What the emulator has been told to do with a build. */
export type BuildFate = 'active' | 'error' | 'stuck'

export interface UserRec {
  token: string
  id: string
  name: string
  email: string
  expired: boolean
  /** Project ids the user is an accepted member of, system project first. */
  projects: string[]
  sshKeys: { id: number; name: string; content: string }[]
}

export type ProjectState = 'uninitialized' | 'active' | 'suspended' | 'terminated' | 'deleted'

export interface ProjectRec {
  id: string
  name: string
  state: ProjectState
  owner: string
  system: boolean
  created: string
  endDate: string
  /** Limit for each member (the "limit" in /quotas). */
  memberLimits: Record<ResourceName, number>
  /** Limits for the project as a whole ("project_limit") where they differ from the member limits. */
  projectLimitOverrides: Partial<Record<ResourceName, number>>
  /** Usage by members the emulator does not model (counts in project_usage). */
  otherUsage: Record<ResourceName, number>
}

export interface FlavorRec {
  id: number
  name: string
  vcpus: number
  ram: number // MB
  disk: number // GB
  diskTemplate: string
  allowCreate: boolean
}

export interface ImageRec {
  id: string
  name: string
  owner: string
  public: boolean
  created: string
  metadata: Record<string, string>
}

export interface PersonalityFile {
  path: string
  contents: string
  owner?: string
  group?: string
  mode?: number
}

export interface ServerRec {
  id: number
  name: string
  userId: string
  projectId: string
  flavorId: number
  imageId: string
  operState: ServerOperState
  task: ServerTask
  /** When the current task's job was queued (drives BUILD progress). */
  taskStarted: number
  deleted: boolean
  suspended: boolean
  created: string
  updated: string
  adminPass: string
  metadata: Record<string, string>
  personality: PersonalityFile[]
  keyNames: string[]
  fate: BuildFate
  /** cpu/ram are charged only while the server is "running" (BUILD/STARTED/ERROR). */
  runCharged: boolean
  /** Set once the first build reached ACTIVE (the service VM reports only then). */
  everActive: boolean
  /** How many times the server came up (build, start, reboot): a master VM's jobs do not survive a boot. */
  boots: number
  volumeId: number
}

export type PortStatus = 'DOWN' | 'BUILD' | 'ACTIVE' | 'ERROR'

export interface PortRec {
  id: number
  name: string
  networkId: number
  deviceId: number | null
  userId: string
  projectId: string
  status: PortStatus
  mac: string
  ipv4: string | null
  subnetId: number | null
  floatingIpId: number | null
  /** DELETE accepted, removal pending. */
  deleting: boolean
  created: string
  updated: string
}

export interface NetworkRec {
  id: number
  name: string
  type: string
  userId: string | null
  projectId: string | null
  public: boolean
  floatingIpPool: boolean
  status: 'ACTIVE' | 'DELETED'
  deleted: boolean
  adminStateUp: boolean
  sharedToProject: boolean
  subnetIds: number[]
  created: string
  updated: string
}

export interface SubnetRec {
  id: number
  networkId: number
  name: string
  userId: string | null
  projectId: string | null
  cidr: string
  gateway: string | null
  enableDhcp: boolean
  dnsNameservers: string[]
  hostRoutes: unknown[]
  /** Inclusive, as 32-bit integers. */
  poolStart: number
  poolEnd: number
  /** Addresses in use (integers), including the gateway. */
  used: Set<number>
  public: boolean
}

export interface FloatingIpRec {
  id: number
  address: string
  networkId: number
  userId: string
  projectId: string
  portId: number | null
  created: string
}

export interface PithosObject {
  name: string
  /** The bytes, in the emulator's blob store (blobs.ts), never in memory. */
  blob: BlobRef
  contentType: string
  modified: string
}

export interface ContainerRec {
  account: string
  name: string
  /** Project whose pithos.diskspace the container's bytes are charged to. */
  projectId: string
  created: string
  objects: Map<string, PithosObject>
}

export interface RequestLogEntry {
  seq: number
  at: string
  method: string
  path: string
  status: number
  /** Set when the answer came from an injected or chaos fault. */
  injected?: string
  /** User uuid of the caller, when known (never the token). */
  user?: string
}

/** A cancellable set of timers: every asynchronous transition goes through it so close()/reset() stop them all. */
export class Scheduler {
  private readonly handles = new Set<NodeJS.Timeout>()
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  after(ms: number, fn: () => void | Promise<void>): void {
    const h = setTimeout(() => {
      this.handles.delete(h)
      try {
        const r = fn()
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(this.onError)
      } catch (err) {
        this.onError(err)
      }
    }, Math.max(0, ms))
    this.handles.add(h)
  }

  get pending(): number {
    return this.handles.size
  }

  clear(): void {
    for (const h of this.handles) clearTimeout(h)
    this.handles.clear()
  }
}

/** mulberry32: tiny seeded PRNG, enough for passwords, MACs and chaos rolls. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** First ids handed out; chosen to look like ~okeanos ids (Synnefo's documented examples). */
export const ID_START = {
  server: 665001,
  network: 3141,
  subnet: 1413,
  port: 18001,
  floatingIp: 684011,
  volume: 50722,
} as const

export class Counters {
  server: number = ID_START.server
  network: number = ID_START.network
  subnet: number = ID_START.subnet
  port: number = ID_START.port
  floatingIp: number = ID_START.floatingIp
  volume: number = ID_START.volume
  key = 101
}

export class EmulatorState {
  baseUrl = ''
  delays: EmulatorDelays
  random: () => number
  counters = new Counters()
  users = new Map<string, UserRec>() // by uuid
  projects = new Map<string, ProjectRec>()
  flavors = new Map<number, FlavorRec>()
  images = new Map<string, ImageRec>()
  servers = new Map<number, ServerRec>()
  networks = new Map<number, NetworkRec>()
  subnets = new Map<number, SubnetRec>()
  ports = new Map<number, PortRec>()
  floatingIps = new Map<number, FloatingIpRec>()
  /** Pithos containers by `${account}/${name}`. */
  containers = new Map<string, ContainerRec>()
  /** Usage of each user in each project: project → user → resource → qty. */
  holdings = new Map<string, Map<string, Record<ResourceName, number>>>()
  requestLog: RequestLogEntry[] = []
  requestSeq = 0
  /** The public floating-IP pool network (id "2186" on ~okeanos). */
  publicNetworkId = 2186

  constructor(delays: EmulatorDelays, seed: number) {
    this.delays = delays
    this.random = seededRandom(seed)
  }

  userByToken(token: string): UserRec | undefined {
    for (const u of this.users.values()) if (u.token === token) return u
    return undefined
  }

  randomString(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let s = ''
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.random() * alphabet.length)]
    return s
  }

  logRequest(entry: Omit<RequestLogEntry, 'seq' | 'at'>): void {
    this.requestLog.push({ seq: ++this.requestSeq, at: new Date().toISOString(), ...entry })
    // Bound memory for long `npm start` sessions.
    if (this.requestLog.length > 5000) this.requestLog.splice(0, this.requestLog.length - 5000)
  }
}

export const nowIso = (): string => new Date().toISOString()

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map((p) => Number(p))
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return NaN
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** Parse an IPv4 CIDR; undefined if malformed. */
export function parseCidr(cidr: string): { network: number; prefix: number; first: number; last: number } | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr)
  if (!m) return undefined
  const ip = ipToInt(m[1]!)
  const prefix = Number(m[2])
  if (Number.isNaN(ip) || prefix < 1 || prefix > 30) return undefined
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const network = (ip & mask) >>> 0
  const broadcast = (network | (~mask >>> 0)) >>> 0
  return { network, prefix, first: network + 1, last: broadcast - 1 }
}
