import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { InstanceStatusCode } from '../statuses.js'
import { actorOf, ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { runInstanceCommand } from './run-command.js'
import { limitMessageCapitalised, pageRequest, paged } from '../../platform/http/pagination.js'
import {
  accepted,
  authErrors,
  commandErrors,
  errors,
  IdData,
  PageQuery,
  paginated,
  statusUpdatesTags,
  successReply,
} from '../../platform/http/schemas.js'
import type { InstanceServices } from '../services.js'
import { InstanceIdParams, RawInstance } from './schemas.js'

// The status family, underscore spelling (docs/api.md "Status updates from service VMs"; docs/original.md "Status family"): what the
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

export async function statusInstanceRoutes(plain: FastifyInstance, { services }: { services: InstanceServices }) {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  const owner = { onRequest: app.requireOwner }
  const ownerOrVm = { onRequest: app.requireOwnerOrInstanceToken }

  const registerDocs = {
    summary: 'Register an instance record created elsewhere',
    tags: statusUpdatesTags,
    response: { 202: accepted('Your request to create a new lambda instance has been accepted.', IdData), ...commandErrors(409) },
  }
  const registerOptions = { ...owner, schema: { body: RegisterBody }, config: { docs: registerDocs } }
  app.post('/api/lambda_instances', registerOptions, async (request, reply) => {
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

  const statusDocs = (summary: string, description?: string) => ({
    summary,
    ...(description !== undefined && { description }),
    tags: statusUpdatesTags,
    params: InstanceIdParams,
    response: { 202: accepted('Lambda instances status update accepted.', IdData), ...commandErrors(404, 409) },
  })
  for (const [url, docs] of [
    [
      '/api/lambda_instances/:id',
      statusDocs(
        'Report a lambda instance\'s status (service VM)',
        'Accepts the owner\'s token or the instance\'s own token. 409 when the status is already the given one.',
      ),
    ],
    ['/api/lambda_instances/:id/status', statusDocs('Report a lambda instance\'s status (service VM; same as without /status)')],
  ] as const)
    app.post(url, { ...ownerOrVm, schema: { body: StatusBody }, config: { docs } }, async (request, reply) => {
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

  const destroyDocs = {
    summary: 'Destroy a lambda instance (status family)',
    description:
      'A registered record with no cluster is marked DESTROYED at once; an instance whose cluster this service built is destroyed as by DELETE /api/lambda-instances/{id}/ (DESTROYING, then DESTROYED once its resources are gone). 404 when missing or already destroyed.',
    tags: statusUpdatesTags,
    params: InstanceIdParams,
    response: {
      202: accepted('Your request to destroy the specified lambda instance has been accepted.', IdData),
      ...commandErrors(404),
    },
  }
  app.delete('/api/lambda_instances/:id', { ...ownerOrVm, config: { docs: destroyDocs } }, async (request, reply) => {
    const id = instanceIdParam(request)
    return runInstanceCommand(services, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to destroy the specified lambda instance has been accepted.', [{ id }]),
      command: { type: 'MarkInstanceDestroyed', id, actor: actorOf(request) },
    }))
  })

  const listDocs = {
    summary: 'The user\'s instance records, destroyed included, raw',
    tags: statusUpdatesTags,
    querystring: PageQuery,
    response: { 200: paginated('Lambda instances.', RawInstance), ...authErrors(400) },
  }
  app.get('/api/lambda_instances', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request) => {
    const page = pageRequest(request.query, limitMessageCapitalised)
    const result = services.instanceQueries.rawList(ownerOf(request).id, page.limit, page.offset)
    return paged(request, page, result, { code: 200, short_description: 'Lambda instances.' })
  })

  // Public, as in the original: the service's overall numbers, across owners, as strings.
  const countDocs = {
    summary: 'The service\'s instance counts, across owners (public)',
    tags: statusUpdatesTags,
    authenticated: false,
    response: {
      200: successReply(
        'Lambda instances count.',
        Type.Object({
          count: Type.String({ description: 'Not destroyed.' }),
          running_lambda_instances: Type.String({ description: 'STARTED.' }),
          created_lambda_instances: Type.String({ description: 'Every instance ever created.' }),
        }),
      ),
      ...errors(405),
    },
  }
  app.get('/api/lambda_instances/count', { config: { docs: countDocs, readsReadModels: true } }, async () => {
    const { active, running, created } = services.instanceQueries.globalCount()
    return success(200, 'Lambda instances count.', {
      count: String(active),
      running_lambda_instances: String(running),
      created_lambda_instances: String(created),
    })
  })
}
