import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { messages as instanceMessages, type InstanceCommand } from '../../domain/instance.js'
import { validateInstanceSpec } from '../../domain/instance-spec.js'
import { actorOf, ownerOf } from '../plugins/auth.js'
import { HttpError, instanceIdParam, success } from '../envelope.js'
import { instanceStream } from '../../domain/events.js'
import { runInstanceCommand } from '../instance-command.js'
import type { Services } from '../services.js'

// The user's lambda-instance API, hyphen spelling (API.md "Lambda instances"; upstream §2.5–§2.10): its
// commands here, its queries in instance-queries.ts.

function selfLink(request: FastifyRequest, id: string): string {
  return `${request.protocol}://${request.host}/api/lambda-instances/${id}`
}

export async function instanceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const owner = { onRequest: app.requireOwner }

  /** The reactors act on ~okeanos with the owner's token: every command that starts a job renews it. */
  const keepOwnerToken = async (request: FastifyRequest, cmd: InstanceCommand) => {
    if (cmd.type !== 'RequestInstance') {
      const { state } = await services.instances.load(instanceStream(cmd.id))
      if (!state.exists || state.owner !== ownerOf(request).id) return
    }
    services.rememberOwnerToken(cmd.id, request.token!)
  }

  const command = async (request: FastifyRequest, reply: FastifyReply, statusCode: number, body: unknown, cmd: InstanceCommand) => {
    await keepOwnerToken(request, cmd)
    return runInstanceCommand(services, request, reply, { statusCode, body }, cmd)
  }

  app.get('/api/authenticate', owner, async (request) => ({
    status: 200,
    result: 'Success',
    data: { name: ownerOf(request).name },
  }))

  app.post('/api/lambda-instance', owner, async (request, reply) => {
    const user = ownerOf(request)
    const checked = validateInstanceSpec(request.body, await services.vmChoices(request.token!))
    if (!checked.ok)
      throw new HttpError(
        400,
        checked.errors.map(({ field, message }) => ({ status: 400, detail: [`${field}: ${message}`] })),
      )
    const id = randomUUID()
    const body = success(202, 'Your request to create a new lambda instance has been accepted', [
      { id, links: { self: selfLink(request, id) } },
    ])
    return command(request, reply, 202, body, {
      type: 'RequestInstance',
      id,
      owner: user.id,
      ownerName: user.name,
      name: checked.spec.instance_name,
      spec: checked.spec,
    })
  })

  app.post('/api/lambda-instances/:id', owner, async (request, reply) => {
    const id = instanceIdParam(request)
    const action = (request.body as { action?: unknown } | undefined)?.action
    return command(request, reply, 202, success(202, 'Your request has been accepted'), {
      type: 'RunInstanceAction',
      id,
      actor: actorOf(request),
      action: typeof action === 'string' ? action : '',
    })
  })

  app.delete('/api/lambda-instances/:id', owner, async (request, reply) => {
    const id = instanceIdParam(request)
    return command(
      request,
      reply,
      202,
      success(202, 'Your request to destroy the specified lambda instance has been accepted'),
      { type: 'DestroyInstance', id, actor: actorOf(request) },
    )
  })
}
