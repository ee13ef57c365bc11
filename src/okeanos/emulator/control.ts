/**
 * Test controls shared by the admin HTTP API (admin.ts) and the in-process
 * `Emulator` object: one implementation, two doors.
 */
import { apiStatus } from './compute.js'
import type { Ctx } from './context.js'
import type { EmulatorDelays } from './delays.js'
import type { FaultSpec } from './faults.js'
import { floatingIpToDict, networkToDict, portToDict, subnetToDict } from './network.js'
import { fillLimits, type ResourceName } from './resources.js'
import { PUBLIC_SUBNET_ID, seedFlavors, seedImages, seedPublicNetwork } from './seed.js'
import { Counters, nowIso, seededRandom, type ProjectState } from './state.js'
import { loadUser, type EmulatorUser } from './users.js'
import type { BuildRuleSpec } from './builds.js'
import type { StageFailSpec } from './service-vm.js'
import type { SshFailureSpec } from './masters.js'

export type Usage = Partial<Record<ResourceName, number>>

export interface QuotaPatch {
  /** Member limits. */
  limits?: Usage
  /** Project-wide limits; a resource never set here follows its member limit. */
  projectLimits?: Usage
  /** Usage by other (unmodelled) members of the project. */
  otherUsage?: Usage
}

export class Controls {
  constructor(
    private readonly ctx: Ctx,
    private readonly initial: { users: EmulatorUser[]; delays: EmulatorDelays; seed: number },
  ) {}

  /** (Re)build the whole state from the initial options: catalogue, users, empty resources. */
  reset(): void {
    const { state } = this.ctx
    this.ctx.scheduler.clear()
    this.ctx.serviceVm.reset()
    this.ctx.masters.reset()
    this.ctx.blobs.clear()
    this.ctx.faults.clear()
    this.ctx.builds.clear()
    state.delays = { ...this.initial.delays }
    state.random = seededRandom(this.initial.seed)
    state.counters = new Counters()
    for (const m of [state.users, state.projects, state.flavors, state.images, state.servers, state.networks, state.subnets, state.ports, state.floatingIps, state.containers, state.holdings]) {
      m.clear()
    }
    state.requestLog = []
    state.requestSeq = 0
    const now = nowIso()
    seedFlavors(state)
    seedImages(state, now)
    seedPublicNetwork(state, now)
    for (const u of this.initial.users) loadUser(state, u, now)
  }

  setDelays(d: Partial<EmulatorDelays>): EmulatorDelays {
    for (const [k, v] of Object.entries(d)) {
      if (k in this.ctx.state.delays && typeof v === 'number' && v >= 0) this.ctx.state.delays[k as keyof EmulatorDelays] = v
    }
    return { ...this.ctx.state.delays }
  }

  injectFault(spec: FaultSpec): number {
    return this.ctx.faults.add(spec).id
  }

  clearFaults(): void {
    this.ctx.faults.clear()
  }

  /** Probability `rate` of a 5xx (default 503) on any Synnefo call; 0 turns it off. Seeded, so runs repeat. */
  setChaos(rate: number, opts: { status?: number; seed?: number; message?: string } = {}): void {
    this.ctx.faults.setChaos({ rate, ...opts })
  }

  forceBuild(spec: BuildRuleSpec): number {
    return this.ctx.builds.add(spec).id
  }

  clearBuildRules(): void {
    this.ctx.builds.clear()
  }

  failStage(spec: StageFailSpec): void {
    this.ctx.serviceVm.failStage(spec)
  }

  failSshCommand(spec: SshFailureSpec): number {
    if (!(spec.pattern instanceof RegExp) && typeof spec.pattern !== 'string') throw new Error('pattern (a regex) is required')
    return this.ctx.masters.addFailure(spec)
  }

  setProjectQuota(projectId: string, patch: QuotaPatch): void {
    const p = this.project(projectId)
    if (patch.limits) p.memberLimits = fillLimits(patch.limits, p.memberLimits)
    if (patch.projectLimits) Object.assign(p.projectLimitOverrides, patch.projectLimits)
    if (patch.otherUsage) p.otherUsage = fillLimits(patch.otherUsage, p.otherUsage)
  }

  /** Overwrite a user's usage in a project (e.g. to exhaust a quota without creating servers). */
  setUsage(projectId: string, userId: string, usage: Usage): void {
    this.project(projectId)
    const h = this.ctx.quota.holding(projectId, userId)
    Object.assign(h, fillLimits(usage, h))
  }

  setProjectState(projectId: string, state: ProjectState): void {
    this.project(projectId).state = state
  }

  addUser(user: EmulatorUser): void {
    loadUser(this.ctx.state, user, nowIso())
  }

  setUserExpired(userId: string, expired: boolean): void {
    const u = this.ctx.state.users.get(userId)
    if (!u) throw new Error(`No user ${userId}`)
    u.expired = expired
  }

  suspendServer(serverId: number, suspended: boolean): void {
    const s = this.ctx.state.servers.get(serverId)
    if (!s) throw new Error(`No server ${serverId}`)
    s.suspended = suspended
  }

  /** Shrink or grow the public floating-IP pool (addresses in use stay). 0 = pool exhausted. */
  setFloatingIpPoolSize(size: number): void {
    const subnet = this.ctx.state.subnets.get(PUBLIC_SUBNET_ID)
    if (!subnet) throw new Error('No public subnet')
    subnet.poolEnd = subnet.poolStart + Math.max(0, size) - 1
  }

  /** Everything a test may want to assert on. No tokens, no personality contents. */
  snapshot() {
    const ctx = this.ctx
    const { state } = ctx
    const quotas: Record<string, { project: Record<string, number>; users: Record<string, Record<string, number>> }> = {}
    for (const projectId of state.projects.keys()) {
      const users: Record<string, Record<string, number>> = {}
      for (const [userId, h] of state.holdings.get(projectId) ?? []) users[userId] = { ...h }
      quotas[projectId] = { project: ctx.quota.projectUsage(projectId), users }
    }
    return {
      delays: { ...state.delays },
      servers: [...state.servers.values()].map((s) => ({
        id: s.id,
        name: s.name,
        userId: s.userId,
        projectId: s.projectId,
        flavorId: s.flavorId,
        imageId: s.imageId,
        status: apiStatus(s),
        task: s.task,
        deleted: s.deleted,
        suspended: s.suspended,
        fate: s.fate,
        personalityPaths: s.personality.map((p) => p.path),
        ports: [...state.ports.values()].filter((p) => p.deviceId === s.id).map((p) => p.id),
      })),
      networks: [...state.networks.values()].map((n) => networkToDict(ctx, n)),
      subnets: [...state.subnets.values()].map((s) => subnetToDict(ctx, s)),
      ports: [...state.ports.values()].map((p) => ({ ...portToDict(ctx, p), deleting: p.deleting })),
      floatingIps: [...state.floatingIps.values()].map((f) => floatingIpToDict(ctx, f)),
      quotas,
      faults: ctx.faults.list().map((r) => ({ id: r.id, method: r.method ?? null, path: r.path?.source ?? null, status: r.status, remaining: Number.isFinite(r.remaining) ? r.remaining : null })),
      chaos: ctx.faults.getChaos() ?? null,
      builds: ctx.builds.list(),
      stageFailures: ctx.serviceVm.failures(),
      containers: [...state.containers.values()].map((c) => ({
        account: c.account,
        name: c.name,
        projectId: c.projectId,
        objects: [...c.objects.values()].map((o) => ({ name: o.name, bytes: o.blob.bytes, contentType: o.contentType })),
      })),
      masters: ctx.masters.snapshot(),
      sshFailures: ctx.masters.failures(),
      sshCommands: ctx.masters.log.slice(-200),
      serviceVmReports: [...ctx.serviceVm.reports],
      requests: state.requestLog.slice(-200),
    }
  }

  private project(projectId: string) {
    const p = this.ctx.state.projects.get(projectId)
    if (!p) throw new Error(`No project ${projectId}`)
    return p
  }
}

