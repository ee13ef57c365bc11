/**
 * The emulator-only admin API under /_emulator/ (outside every Synnefo path,
 * no auth, never subject to injected faults). JSON in, JSON out; errors are
 * 400 {"error": "..."}. Same operations as the `Emulator` object's methods.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ADMIN_PREFIX, bodyText } from './app.js'
import type { Controls } from './control.js'
import type { Ctx } from './context.js'

type Body = Record<string, unknown>

function body(req: FastifyRequest): Body {
  const raw = bodyText(req)
  if (raw.trim() === '') return {}
  const parsed: unknown = JSON.parse(raw)
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('Body must be a JSON object')
  return parsed as Body
}

export function registerAdmin(app: FastifyInstance, ctx: Ctx, controls: Controls): void {
  const A = ADMIN_PREFIX
  const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, fn: (b: Body, req: FastifyRequest) => unknown) => {
    app.route({
      method,
      url: `${A}${url}`,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const out = fn(body(req), req)
          return reply.code(200).send(out ?? { ok: true })
        } catch (err) {
          return reply.code(400).send({ error: (err as Error).message })
        }
      },
    })
  }
  const param = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name]!

  route('GET', '/state', () => controls.snapshot())
  route('GET', '/requests', () => ({ requests: ctx.state.requestLog }))
  route('POST', '/reset', () => controls.reset())
  route('GET', '/delays', () => ({ ...ctx.state.delays }))
  route('PUT', '/delays', (b) => controls.setDelays(b as never))

  route('GET', '/faults', () => controls.snapshot().faults)
  route('POST', '/faults', (b) => ({ id: controls.injectFault(b as never) }))
  route('DELETE', '/faults', () => controls.clearFaults())
  route('PUT', '/chaos', (b) => {
    if (typeof b.rate !== 'number') throw new Error('rate (0..1) is required')
    controls.setChaos(b.rate, b as never)
    return { chaos: ctx.faults.getChaos() ?? null }
  })

  route('GET', '/builds', () => ctx.builds.list())
  route('POST', '/builds', (b) => {
    if (b.outcome !== 'error' && b.outcome !== 'stuck') throw new Error(`outcome must be "error" or "stuck"`)
    return { id: controls.forceBuild(b as never) }
  })
  route('DELETE', '/builds', () => controls.clearBuildRules())

  route('GET', '/service-vm/reports', () => ({ reports: ctx.serviceVm.reports }))
  route('GET', '/service-vm/failures', () => ctx.serviceVm.failures())
  route('POST', '/service-vm/failures', (b) => {
    if (typeof b.stage !== 'string') throw new Error('stage is required (e.g. "hadoop" or "16")')
    controls.failStage(b as never)
  })
  route('DELETE', '/service-vm/failures', () => ctx.serviceVm.clearFailures())

  route('GET', '/ssh/failures', () => ctx.masters.failures())
  route('POST', '/ssh/failures', (b) => ({ id: controls.failSshCommand(b as never) }))
  route('DELETE', '/ssh/failures', () => ctx.masters.clearFailures())
  route('GET', '/ssh/commands', () => ({ commands: ctx.masters.log }))
  route('GET', '/masters/:id', (_b, req) => {
    const id = Number(param(req, 'id'))
    return { serverId: id, files: ctx.masters.files(id), jobs: ctx.masters.jobs(id) }
  })

  route('PUT', '/projects/:id/quotas', (b, req) => controls.setProjectQuota(param(req, 'id'), b as never))
  route('PUT', '/projects/:id', (b, req) => {
    if (typeof b.state !== 'string') throw new Error('state is required')
    controls.setProjectState(param(req, 'id'), b.state as never)
  })
  route('PUT', '/usage', (b) => {
    if (typeof b.project !== 'string' || typeof b.user !== 'string') throw new Error('project and user are required')
    controls.setUsage(b.project, b.user, (b.usage ?? {}) as never)
  })
  route('POST', '/users', (b) => {
    if (typeof b.token !== 'string' || typeof b.id !== 'string' || typeof b.name !== 'string') throw new Error('token, id and name are required')
    controls.addUser(b as never)
  })
  route('PUT', '/users/:id', (b, req) => controls.setUserExpired(param(req, 'id'), b.expired === true))
  route('PUT', '/servers/:id', (b, req) => controls.suspendServer(Number(param(req, 'id')), b.suspended === true))
  route('PUT', '/floating-ip-pool', (b) => {
    if (typeof b.size !== 'number') throw new Error('size is required')
    controls.setFloatingIpPoolSize(b.size)
  })
}
