/**
 * A minimal Pithos object store (`…/object-store/v1/<account>/<container>/<object>`),
 * enough for LoD's application jars (upstream.md §5.3): containers charged to
 * a project, objects put/get/head/delete, JSON listings. Bytes count against
 * the project's pithos.diskspace.
 */
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { bodyBytes, type Routes } from './app.js'
import type { Ctx } from './context.js'
import { Fault, conflict, forbidden, itemNotFound } from './faults.js'
import { nowIso, type ContainerRec, type UserRec } from './state.js'

const P = '/object-store/v1'

type Params = { account: string; container: string; '*'?: string }

function account(req: FastifyRequest, user: UserRec): string {
  const { account } = req.params as Params
  // Sharing between accounts is not modelled: only your own account.
  if (account !== user.id) throw forbidden('Not allowed')
  return account
}

function getContainer(ctx: Ctx, acc: string, name: string): ContainerRec {
  const c = ctx.state.containers.get(`${acc}/${name}`)
  if (!c) throw itemNotFound('Container does not exist')
  return c
}

function wantsJson(req: FastifyRequest): boolean {
  return (req.query as Record<string, string>).format === 'json' || (req.headers.accept ?? '').includes('application/json')
}

function containerBytes(c: ContainerRec): number {
  let n = 0
  for (const o of c.objects.values()) n += o.data.length
  return n
}

function containerHeaders(reply: FastifyReply, c: ContainerRec): void {
  reply.header('x-container-object-count', String(c.objects.size))
  reply.header('x-container-bytes-used', String(containerBytes(c)))
  reply.header('x-container-policy-project', c.projectId)
  reply.header('last-modified', new Date(c.created).toUTCString())
}

export function registerPithos(routes: Routes): void {
  const ctx = routes.ctx
  const { state, quota } = ctx

  routes.user('GET', `${P}/:account`, 'cyclades', (req, reply, user) => {
    const acc = account(req, user)
    const list = [...state.containers.values()].filter((c) => c.account === acc).sort((a, b) => a.name.localeCompare(b.name))
    if (list.length === 0) return reply.code(204).send()
    if (!wantsJson(req)) return reply.type('text/plain; charset=UTF-8').send(list.map((c) => c.name).join('\n') + '\n')
    return list.map((c) => ({
      name: c.name,
      count: c.objects.size,
      bytes: containerBytes(c),
      last_modified: c.created,
      x_container_policy: { project: c.projectId, quota: '0', versioning: 'auto' },
    }))
  })

  routes.user('PUT', `${P}/:account/:container`, 'cyclades', (req, reply, user) => {
    const acc = account(req, user)
    const { container } = req.params as Params
    const key = `${acc}/${container}`
    if (state.containers.has(key)) return reply.code(202).send()
    const header = req.headers['x-container-policy-project']
    const projectId = typeof header === 'string' && header ? header : user.id
    if (!user.projects.includes(projectId)) throw forbidden(`User ${user.id} not in project ${projectId}`)
    state.containers.set(key, { account: acc, name: container, projectId, created: nowIso(), objects: new Map() })
    return reply.code(201).send()
  })

  // Registered before the GET so Fastify does not add its automatic HEAD (which would answer 200).
  routes.user('HEAD', `${P}/:account/:container`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    containerHeaders(reply, c)
    return reply.code(204).send()
  })

  routes.user('GET', `${P}/:account/:container`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    containerHeaders(reply, c)
    const objects = [...c.objects.values()].sort((a, b) => a.name.localeCompare(b.name))
    if (objects.length === 0) return reply.code(204).send()
    if (!wantsJson(req)) return reply.type('text/plain; charset=UTF-8').send(objects.map((o) => o.name).join('\n') + '\n')
    return objects.map((o) => ({ name: o.name, bytes: o.data.length, hash: o.etag, content_type: o.contentType, last_modified: o.modified }))
  })

  routes.user('DELETE', `${P}/:account/:container`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    if (c.objects.size > 0) throw conflict('Container is not empty')
    state.containers.delete(`${c.account}/${c.name}`)
    return reply.code(204).send()
  })

  routes.user('PUT', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const name = (req.params as Params)['*']!
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      throw new Fault(411, 'lengthRequired', 'Missing Content-Length header')
    }
    const data = bodyBytes(req)
    const previous = c.objects.get(name)
    const delta = data.length - (previous?.data.length ?? 0)
    if (delta > 0) quota.commission(c.account, c.projectId, { 'pithos.diskspace': delta })
    else if (delta < 0) quota.release(c.account, c.projectId, { 'pithos.diskspace': -delta })
    const etag = createHash('md5').update(data).digest('hex')
    const ct = req.headers['content-type']
    c.objects.set(name, { name, data, contentType: typeof ct === 'string' ? ct : 'application/octet-stream', etag, modified: nowIso() })
    return reply.code(201).header('etag', etag).send()
  })

  routes.user('GET', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const o = c.objects.get((req.params as Params)['*']!)
    if (!o) throw itemNotFound('Object does not exist')
    return reply
      .code(200)
      .header('content-type', o.contentType)
      .header('etag', o.etag)
      .header('last-modified', new Date(o.modified).toUTCString())
      .send(o.data)
  })

  routes.user('DELETE', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const name = (req.params as Params)['*']!
    const o = c.objects.get(name)
    if (!o) throw itemNotFound('Object does not exist')
    c.objects.delete(name)
    quota.release(c.account, c.projectId, { 'pithos.diskspace': o.data.length })
    return reply.code(204).send()
  })
}
