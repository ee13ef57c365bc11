/**
 * Astakos account API: quotas and projects (Synnefo's Astakos account API: quotas, projects).
 * The account URL comes from the catalog entry of type "account".
 */
import { OkeanosHttp, joinUrl } from './http.js'

/** One resource of one project as /quotas reports it. ram/disk in bytes. */
export interface QuotaValue {
  usage: number
  limit: number
  pending: number
  project_usage: number
  project_limit: number
  project_pending: number
}

export type QuotaResource =
  | 'cyclades.vm'
  | 'cyclades.cpu'
  | 'cyclades.ram'
  | 'cyclades.disk'
  | 'cyclades.floating_ip'
  | 'cyclades.network.private'
  | 'pithos.diskspace'
  | (string & {})

/** project uuid → resource → values. */
export type Quotas = Record<string, Record<QuotaResource, QuotaValue>>

export type ProjectState = 'uninitialized' | 'active' | 'suspended' | 'terminated' | 'deleted'

export interface Project {
  id: string
  name: string
  state: ProjectState
  owner: string
  creation_date: string
  end_date: string
  homepage: string
  description: string
  join_policy: string
  leave_policy: string
  max_members: number
  private: boolean
  system_project: boolean
  resources: Record<string, { member_capacity: number; project_capacity: number }>
}

export interface ProjectFilter {
  name?: string
  state?: ProjectState
  owner?: string
  mode?: 'default' | 'member' | 'related' | 'active'
}

export class AccountClient {
  constructor(
    private readonly http: OkeanosHttp,
    readonly url: string,
  ) {}

  getQuotas(): Promise<Quotas> {
    return this.http.request<Quotas>('GET', joinUrl(this.url, 'quotas'))
  }

  listProjects(filter: ProjectFilter = {}): Promise<Project[]> {
    return this.http.request<Project[]>('GET', joinUrl(this.url, 'projects'), { query: { ...filter } })
  }

  getProject(id: string): Promise<Project> {
    return this.http.request<Project>('GET', joinUrl(this.url, 'projects', id))
  }

  /** The user's active project with this exact name, or undefined (LoD's `get_projects(name=...)[0]`). */
  async findProjectByName(name: string): Promise<Project | undefined> {
    const list = await this.listProjects({ name })
    return list.find((p) => p.state === 'active') ?? undefined
  }

  /** Active projects only (LoD's user-okeanos-projects). */
  async activeProjects(): Promise<Project[]> {
    return (await this.listProjects()).filter((p) => p.state === 'active')
  }
}

/**
 * What the user can still use in a project: min(limit − usage, project_limit − project_usage),
 * the documented effective limit (LoD's get_user_okeanos_projects). Units as /quotas (bytes for ram/disk).
 */
export function available(q: QuotaValue): number {
  return Math.max(0, Math.min(q.limit - q.usage, q.project_limit - q.project_usage))
}

export interface ProjectAvailability {
  vms: number
  cpus: number
  ramMiB: number
  diskGiB: number
  floatingIps: number
  privateNetworks: number
  pithosBytes: number
}

/** Available resources of one project, in LoD's units (MB for ram, GB for disk). */
export function projectAvailability(quotas: Quotas, projectId: string): ProjectAvailability | undefined {
  const p = quotas[projectId]
  if (!p) return undefined
  const a = (r: QuotaResource) => (p[r] ? available(p[r]) : 0)
  return {
    vms: a('cyclades.vm'),
    cpus: a('cyclades.cpu'),
    ramMiB: Math.floor(a('cyclades.ram') / 2 ** 20),
    diskGiB: Math.floor(a('cyclades.disk') / 2 ** 30),
    floatingIps: a('cyclades.floating_ip'),
    privateNetworks: a('cyclades.network.private'),
    pithosBytes: a('pithos.diskspace'),
  }
}
