/**
 * A minimal Pithos object store (`…/object-store/v1/<account>/<container>/<object>`),
 * enough for LoD's application jars (docs/original.md "Applications"): containers charged to
 * a project, objects put/get/head/delete, JSON listings. Bytes count against
 * the project's pithos.diskspace. Object bodies live in files (blobs.ts), streamed in and out.
 */
import { PassThrough, Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Routes } from './app.js'
import type { Ctx } from './context.js'
import { Fault, conflict, forbidden, itemNotFound, overLimit } from './faults.js'
import { nowIso, type ContainerRec, type PithosObject, type UserRec } from './state.js'

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
  for (const o of c.objects.values()) n += o.blob.bytes
  return n
}

function containerHeaders(reply: FastifyReply, c: ContainerRec): void {
  reply.header('x-container-object-count', String(c.objects.size))
  reply.header('x-container-bytes-used', String(containerBytes(c)))
  reply.header('x-container-policy-project', c.projectId)
  reply.header('last-modified', new Date(c.created).toUTCString())
}

/**
 * The request body behind a PassThrough, so a failed write (a 413 past the quota) does not destroy the
 * request socket, as a pipeline would: the rest of the body is drained and the client gets its answer.
 */
function detached(raw: unknown): { stream: Readable; discardRest(): void; aborted(): boolean } {
  const stream = new PassThrough()
  if (!(raw instanceof Readable)) {
    stream.end()
    return { stream, discardRest: () => {}, aborted: () => false }
  }
  let aborted = false
  const abort = (err?: Error) => {
    aborted = true
    stream.destroy(err ?? new Error('request aborted'))
  }
  raw.pipe(stream)
  raw.once('error', abort)
  raw.once('close', () => {
    if (!raw.readableEnded) abort()
  })
  return {
    stream,
    aborted: () => aborted,
    discardRest() {
      raw.unpipe(stream)
      raw.resume()
    },
  }
}

export function registerPithos(routes: Routes): void {
  const ctx = routes.ctx
  const { state, quota, blobs } = ctx

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
    return objects.map((o) => ({ name: o.name, bytes: o.blob.bytes, hash: o.blob.md5, content_type: o.contentType, last_modified: o.modified }))
  })

  routes.user('DELETE', `${P}/:account/:container`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    if (c.objects.size > 0) throw conflict('Container is not empty')
    state.containers.delete(`${c.account}/${c.name}`)
    return reply.code(204).send()
  })

  // Object bodies stream to and from the blob store (blobs.ts): a 200 MB jar never sits in memory.
  routes.userStream('PUT', `${P}/:account/:container/*`, 'cyclades', async (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const name = (req.params as Params)['*']!
    const length = req.headers['content-length']
    if (length === undefined && req.headers['transfer-encoding'] === undefined) {
      throw new Fault(411, 'lengthRequired', 'Missing Content-Length header')
    }
    const previous = c.objects.get(name)
    const replaced = previous?.blob.bytes ?? 0
    // Refuse at once what the declared length says cannot fit; a chunked upload is cut as soon as it
    // outgrows the quota. Either way the 413 has astakosclient's texts (quota.check builds them).
    const room = quota.room(c.account, c.projectId, 'pithos.diskspace') + replaced
    const declared = Number(length)
    const charge = (bytes: number) => quota.check(c.account, c.projectId, { 'pithos.diskspace': bytes - replaced })
    if (length !== undefined && Number.isFinite(declared) && declared > room) charge(declared)
    const body = detached(req.body)
    let blob
    try {
      blob = await blobs.write(body.stream, {
        limit: room,
        tooBig: (bytes) => {
          try {
            charge(bytes)
          } catch (err) {
            return err as Error
          }
          return overLimit('Resource Limit Exceeded for your account.')
        },
      })
    } catch (err) {
      // The client went away mid-upload: nothing is stored, and there is nobody to answer.
      if (body.aborted()) return reply.hijack()
      body.discardRest()
      throw err
    }
    const delta = blob.bytes - replaced
    try {
      if (delta > 0) quota.commission(c.account, c.projectId, { 'pithos.diskspace': delta })
      else if (delta < 0) quota.release(c.account, c.projectId, { 'pithos.diskspace': -delta })
    } catch (err) {
      blobs.remove(blob)
      throw err
    }
    // Look again: another upload of the same name may have finished while this one streamed.
    blobs.remove(c.objects.get(name)?.blob)
    const ct = req.headers['content-type']
    c.objects.set(name, { name, blob, contentType: typeof ct === 'string' ? ct : 'application/octet-stream', modified: nowIso() })
    return reply.code(201).header('etag', blob.md5).send()
  })

  const objectHeaders = (reply: FastifyReply, o: PithosObject) =>
    reply
      .header('content-type', o.contentType)
      .header('content-length', String(o.blob.bytes))
      .header('etag', o.blob.md5)
      .header('last-modified', new Date(o.modified).toUTCString())

  // Registered before the GET so Fastify does not add its automatic HEAD.
  routes.user('HEAD', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const o = c.objects.get((req.params as Params)['*']!)
    if (!o) throw itemNotFound('Object does not exist')
    objectHeaders(reply.code(200), o)
    return reply.send()
  })

  routes.user('GET', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const o = c.objects.get((req.params as Params)['*']!)
    if (!o) throw itemNotFound('Object does not exist')
    objectHeaders(reply.code(200), o)
    return reply.send(blobs.read(o.blob))
  })

  routes.user('DELETE', `${P}/:account/:container/*`, 'cyclades', (req, reply, user) => {
    const c = getContainer(ctx, account(req, user), (req.params as Params).container)
    const name = (req.params as Params)['*']!
    const o = c.objects.get(name)
    if (!o) throw itemNotFound('Object does not exist')
    c.objects.delete(name)
    blobs.remove(o.blob)
    quota.release(c.account, c.projectId, { 'pithos.diskspace': o.blob.bytes })
    return reply.code(204).send()
  })
}
