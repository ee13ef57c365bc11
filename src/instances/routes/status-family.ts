import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { InstanceStatusCode } from '../statuses.js'
import { actorOf, ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { runInstanceCommand } from './run-command.js'
import { limitMessageCapitalised, pageRequest, paged } from '../../platform/http/pagination.js'
import type { Services } from '../../app/services.js'

// The status family, underscore spelling (API.md "Status updates from service VMs"; upstream §3): what the
// VMs of an instance call to report progress. It writes the same events as the reactors.

const RegisterBody = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  name: Type.String({ minLength: 1 }),
  instance_info: Type.Union([Type.String(), Type.Object({})]),
  status: InstanceStatusCode,
  failure_message: Type.Optional(Type.String()),
})

const StatusBody = Type.Object({
  status: InstanceStatusCode,
  failure_message: Type.Optional(Type.String()),
})

export async function statusInstanceRoutes(plain: FastifyInstance, { services }: { services: Services }) {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  const owner = { onRequest: app.requireOwner }
  const ownerOrVm = { onRequest: app.requireOwnerOrInstanceToken }

  app.post('/api/lambda_instances', { ...owner, schema: { body: RegisterBody } }, async (request, reply) => {
    const { uuid, name, instance_info, status, failure_message } = request.body
    const id = uuid.toLowerCase()
    return runInstanceCommand(services, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to create a new lambda instance has been accepted.', [{ id }]),
      command: {
        type: 'RegisterInstance',
        id,
        owner: ownerOf(request).id,
        name,
        instanceInfo: instance_info,
        status,
        failureMessage: failure_message ?? '',
      },
    }))
  })

  for (const url of ['/api/lambda_instances/:id', '/api/lambda_instances/:id/status'])
    app.post(url, { ...ownerOrVm, schema: { body: StatusBody } }, async (request, reply) => {
      const id = instanceIdParam(request)
      return runInstanceCommand(services, request, reply, () => ({
        statusCode: 202,
        body: success(202, 'Lambda instances status update accepted.', [{ id }]),
        command: {
          type: 'ChangeInstanceStatus',
          id,
          actor: actorOf(request),
          status: request.body.status,
          failureMessage: request.body.failure_message ?? '',
        },
      }))
    })

  app.delete('/api/lambda_instances/:id', ownerOrVm, async (request, reply) => {
    const id = instanceIdParam(request)
    return runInstanceCommand(services, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to destroy the specified lambda instance has been accepted.', [{ id }]),
      command: { type: 'MarkInstanceDestroyed', id, actor: actorOf(request) },
    }))
  })

  app.get('/api/lambda_instances', owner, async (request) => {
    const page = pageRequest(request.query, limitMessageCapitalised)
    const result = services.instanceQueries.rawList(ownerOf(request).id, page.limit, page.offset)
    return paged(request, page, result, { code: 200, short_description: 'Lambda instances.' })
  })

  // Public, as in the original: the service's overall numbers, across owners, as strings.
  app.get('/api/lambda_instances/count', async () => {
    const { active, running, created } = services.instanceQueries.globalCount()
    return success(200, 'Lambda instances count.', {
      count: String(active),
      running_lambda_instances: String(running),
      created_lambda_instances: String(created),
    })
  })
}
