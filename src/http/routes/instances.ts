import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { messages as instanceMessages, type InstanceCommand } from '../../domain/instance.js'
import { validateInstanceSpec } from '../../domain/instance-spec.js'
import { actorOf, ownerOf } from '../plugins/auth.js'
import { HttpError, instanceIdParam, success } from '../envelope.js'
import { runInstanceCommand } from '../instance-command.js'
import { pageRequest, paged } from '../pagination.js'
import type { Services } from '../services.js'

// The user's lambda-instance API, hyphen spelling (API.md "Lambda instances"; upstream §2.5–§2.10).

const filterMessage = 'filter GET parameter can be used with values status or info.'

function selfLink(request: FastifyRequest, id: string): string {
  return `${request.protocol}://${request.host}/api/lambda-instances/${id}`
}

export async function instanceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { instanceQueries } = services
  const owner = { onRequest: app.auth([app.verifyOwner]) }

  const command = (request: FastifyRequest, reply: FastifyReply, statusCode: number, body: unknown, cmd: InstanceCommand) =>
    runInstanceCommand(services, request, reply, { statusCode, body }, cmd)

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
      name: checked.spec.instance_name,
      spec: checked.spec,
    })
  })

  app.get('/api/lambda-instances', owner, async (request) => {
    const page = pageRequest(request.query)
    const result = instanceQueries.list(ownerOf(request).id, page.limit, page.offset)
    return paged(request, page, result, { code: 200, short_description: 'Lambda instances' })
  })

  app.get('/api/lambda-instances/count', owner, async (request) =>
    success(200, 'Number of Lambda Instances', [{ count: instanceQueries.count(ownerOf(request).id) }]),
  )

  app.get('/api/lambda-instances/:id', owner, async (request) => {
    const id = instanceIdParam(request)
    const details = instanceQueries.details(ownerOf(request).id, id)
    if (!details) throw new HttpError(404, instanceMessages.notFound)
    const { filter } = request.query as { filter?: unknown }
    const info = { id: details.id, name: details.name, instance_info: details.info }
    let data: unknown
    if (filter === undefined || filter === '') data = { info, status: details.status, applications: details.applications }
    else if (filter === 'status') data = { status: details.status, id: details.id, name: details.name }
    else if (filter === 'info') data = { info }
    else throw new HttpError(400, filterMessage)
    return success(200, 'Lambda instance details', [data])
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
