/**
 * Astakos account API: quotas, projects, resources, user catalogs
 * (Synnefo's Astakos account API).
 */
import type { Routes } from './app.js'
import { jsonBody } from './app.js'
import { badRequest, itemNotFound } from './faults.js'
import { projectLimits } from './quota.js'
import { DESCRIPTIONS, HIDDEN_RESOURCES, RESOURCES } from './resources.js'
import type { ProjectRec, ProjectState, UserRec } from './state.js'

const STATES: ProjectState[] = ['uninitialized', 'active', 'suspended', 'terminated', 'deleted']
const MODES = ['default', 'member', 'related', 'active']

export function projectToDict(p: ProjectRec) {
  const resources: Record<string, { member_capacity: number; project_capacity: number }> = {}
  const limits = projectLimits(p)
  for (const r of RESOURCES) {
    if (HIDDEN_RESOURCES.has(r)) continue
    resources[r] = { member_capacity: p.memberLimits[r], project_capacity: limits[r] }
  }
  return {
    id: p.id,
    state: p.state,
    name: p.name,
    owner: p.owner,
    creation_date: p.created,
    end_date: p.endDate,
    homepage: '',
    description: p.system ? `System project for user ${p.owner}` : '',
    join_policy: p.system ? 'closed' : 'moderated',
    leave_policy: p.system ? 'closed' : 'auto',
    max_members: p.system ? 1 : 9223372036854775807,
    private: p.system,
    system_project: p.system,
    resources,
  }
}

function visibleProjects(routes: Routes, user: UserRec): ProjectRec[] {
  return user.projects.map((id) => routes.ctx.state.projects.get(id)).filter((p): p is ProjectRec => !!p)
}

export function registerAccount(routes: Routes): void {
  const { state, quota } = routes.ctx

  routes.user('GET', '/account/v1.0/quotas', 'astakos', (_req, _reply, user) => quota.quotasFor(user))

  routes.user('GET', '/account/v1.0/projects', 'astakos', (req, _reply, user) => {
    const q = req.query as Record<string, string>
    for (const key of Object.keys(q)) {
      if (!['name', 'state', 'owner', 'mode'].includes(key)) throw badRequest(`Unrecognized filter ${key}`)
    }
    if (q.state !== undefined && !STATES.includes(q.state as ProjectState)) throw badRequest(`Unrecognized state ${q.state}`)
    if (q.mode !== undefined && !MODES.includes(q.mode)) throw badRequest(`Unrecognized mode ${q.mode}`)
    let list = visibleProjects(routes, user)
    if (q.name !== undefined) list = list.filter((p) => p.name === q.name)
    if (q.state !== undefined) list = list.filter((p) => p.state === q.state)
    if (q.owner !== undefined) list = list.filter((p) => p.owner === q.owner)
    if (q.mode === 'active') list = list.filter((p) => p.state === 'active')
    return list.map(projectToDict)
  })

  routes.user('GET', '/account/v1.0/projects/:id', 'astakos', (req, _reply, user) => {
    const { id } = req.params as { id: string }
    const p = state.projects.get(id)
    if (!p || !user.projects.includes(id)) throw itemNotFound(`Project ${id} does not exist.`)
    return projectToDict(p)
  })

  routes.open('GET', '/account/v1.0/resources', () => {
    const out: Record<string, unknown> = {}
    for (const r of RESOURCES) {
      if (HIDDEN_RESOURCES.has(r)) continue
      out[r] = { ...DESCRIPTIONS[r], allow_in_projects: true }
    }
    return out
  })

  routes.user('POST', '/account/v1.0/user_catalogs', 'astakos', (req) => {
    const body = jsonBody(req)
    const uuids = body.uuids ?? []
    const names = body.displaynames ?? []
    if (!Array.isArray(uuids) || !Array.isArray(names)) throw badRequest('Malformed request')
    const uuidCatalog: Record<string, string> = {}
    const nameCatalog: Record<string, string> = {}
    for (const u of state.users.values()) {
      if (uuids.includes(u.id)) uuidCatalog[u.id] = u.email
      if (names.includes(u.email)) nameCatalog[u.email] = u.id
    }
    return { uuid_catalog: uuidCatalog, displayname_catalog: nameCatalog }
  })
}
