/**
 * The Astakos quota engine, shared by the Cyclades routes (Synnefo's Astakos quotas).
 *
 * Every charge is checked against two holdings: the user's in the project
 * (member limit) and the project's as a whole (project limit, which also counts
 * usage by members the emulator does not model). A failed check is a 413
 * overLimit with astakosclient's exact texts; nothing is charged then.
 * Charges are applied at request time (like a Cyclades commission, usage
 * includes pending); releases happen when the operation completes.
 */
import { badRequest, overLimit } from './faults.js'
import { DISPLAY_NAMES, HIDDEN_RESOURCES, RESOURCES, zeroRecord, type ResourceName } from './resources.js'
import type { EmulatorState, ProjectRec, UserRec } from './state.js'

export type Charges = Partial<Record<ResourceName, number>>

export interface QuotaValue {
  usage: number
  limit: number
  pending: number
  project_usage: number
  project_limit: number
  project_pending: number
}

export class QuotaEngine {
  constructor(private readonly state: EmulatorState) {}

  holding(projectId: string, userId: string): Record<ResourceName, number> {
    let byUser = this.state.holdings.get(projectId)
    if (!byUser) this.state.holdings.set(projectId, (byUser = new Map()))
    let h = byUser.get(userId)
    if (!h) byUser.set(userId, (h = zeroRecord()))
    return h
  }

  projectUsage(projectId: string): Record<ResourceName, number> {
    const project = this.state.projects.get(projectId)
    const total = project ? { ...project.otherUsage } : zeroRecord()
    for (const h of this.state.holdings.get(projectId)?.values() ?? []) for (const r of RESOURCES) total[r] += h[r]
    return total
  }

  /** Limits in force: a project that is not active grants nothing. */
  limits(project: ProjectRec): { member: Record<ResourceName, number>; project: Record<ResourceName, number> } {
    if (project.state !== 'active') return { member: zeroRecord(), project: zeroRecord() }
    return { member: project.memberLimits, project: projectLimits(project) }
  }

  /**
   * Charge `charges` to user in project, all or nothing. Throws 400 if the user
   * is not a member, 413 (first resource that does not fit) otherwise.
   */
  commission(userId: string, projectId: string, charges: Charges): void {
    const mine = this.check(userId, projectId, charges)
    for (const [res, qty] of Object.entries(charges) as [ResourceName, number][]) mine[res] += qty ?? 0
  }

  /** What `commission` checks, without charging anything; answers the user's holding. */
  check(userId: string, projectId: string, charges: Charges): Record<ResourceName, number> {
    const user = this.state.users.get(userId)
    const project = this.state.projects.get(projectId)
    if (!user || !project || !user.projects.includes(projectId)) {
      throw badRequest(`User ${userId} not in project ${projectId}`)
    }
    const { member, project: projectLimits } = this.limits(project)
    const mine = this.holding(projectId, userId)
    const theirs = this.projectUsage(projectId)
    for (const [res, qty] of Object.entries(charges) as [ResourceName, number][]) {
      if (!qty || qty <= 0) continue
      if (mine[res] + qty > member[res]) throw overLimitFor(res, member[res] - mine[res], qty)
      if (theirs[res] + qty > projectLimits[res]) throw overLimitFor(res, projectLimits[res] - theirs[res], qty)
    }
    return mine
  }

  /** How much more of `res` the user may be charged in the project now (0 if not a member). */
  room(userId: string, projectId: string, res: ResourceName): number {
    const user = this.state.users.get(userId)
    const project = this.state.projects.get(projectId)
    if (!user || !project || !user.projects.includes(projectId)) return 0
    const { member, project: projectLimits } = this.limits(project)
    const left = Math.min(member[res] - this.holding(projectId, userId)[res], projectLimits[res] - this.projectUsage(projectId)[res])
    return Math.max(0, left)
  }

  /** Give back `charges` (never below zero). */
  release(userId: string, projectId: string, charges: Charges): void {
    const mine = this.holding(projectId, userId)
    for (const [res, qty] of Object.entries(charges) as [ResourceName, number][]) mine[res] = Math.max(0, mine[res] - (qty ?? 0))
  }

  /** GET /account/v1.0/quotas for a user: per project, per visible resource. */
  quotasFor(user: UserRec): Record<string, Record<string, QuotaValue>> {
    const out: Record<string, Record<string, QuotaValue>> = {}
    for (const projectId of user.projects) {
      const project = this.state.projects.get(projectId)
      if (!project) continue
      const { member, project: projectLimits } = this.limits(project)
      const mine = this.holding(projectId, user.id)
      const theirs = this.projectUsage(projectId)
      const entry: Record<string, QuotaValue> = {}
      for (const r of RESOURCES) {
        if (HIDDEN_RESOURCES.has(r)) continue
        entry[r] = {
          usage: mine[r],
          limit: member[r],
          pending: 0,
          project_usage: theirs[r],
          project_limit: projectLimits[r],
          project_pending: 0,
        }
      }
      out[projectId] = entry
    }
    return out
  }
}

/** Effective project-wide limits: the member limit unless overridden. */
export function projectLimits(project: ProjectRec): Record<ResourceName, number> {
  const out = { ...project.memberLimits }
  for (const [k, v] of Object.entries(project.projectLimitOverrides)) if (typeof v === 'number') out[k as ResourceName] = v
  return out
}

function overLimitFor(res: ResourceName, available: number, requested: number) {
  const name = DISPLAY_NAMES[res] ?? res
  return overLimit(
    'Resource Limit Exceeded for your account.',
    `Limit for resource '${name}' exceeded for your account. Available: ${available}, Requested: ${requested}`,
  )
}

/** What a server costs (Synnefo's Astakos quotas): vm and disk always, cpu/ram while running. */
export function serverCharges(flavor: { vcpus: number; ram: number; disk: number }, part: 'all' | 'run' | 'base'): Charges {
  const base: Charges = {
    'cyclades.vm': 1,
    'cyclades.total_cpu': flavor.vcpus,
    'cyclades.total_ram': flavor.ram * 2 ** 20,
    'cyclades.disk': flavor.disk * 2 ** 30,
  }
  const run: Charges = { 'cyclades.cpu': flavor.vcpus, 'cyclades.ram': flavor.ram * 2 ** 20 }
  if (part === 'base') return base
  if (part === 'run') return run
  // Order matters for which resource a 413 names first: vm, cpu, ram, disk.
  return {
    'cyclades.vm': 1,
    'cyclades.cpu': flavor.vcpus,
    'cyclades.total_cpu': flavor.vcpus,
    'cyclades.ram': flavor.ram * 2 ** 20,
    'cyclades.total_ram': flavor.ram * 2 ** 20,
    'cyclades.disk': flavor.disk * 2 ** 30,
  }
}
