import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { applicationStream } from '../events.js'
import { applicationMessages, type ApplicationCommand } from '../decider.js'
import { ApplicationStatusCode } from '../statuses.js'
import { HttpError, isUuid, success } from '../../platform/http/envelope.js'
import { idempotent } from '../../platform/http/idempotency.js'
import { limitMessageCapitalised, pageRequest, paged } from '../../platform/http/pagination.js'
import { ownerOf } from '../../platform/http/auth.js'
import {
  accepted,
  authErrors,
  commandErrors,
  commandReplyHeaders,
  errors,
  IdData,
  PageQuery,
  paginated,
  ReplyStatus,
  statusUpdatesTags,
  successReply,
} from '../../platform/http/schemas.js'
import { eventMetadata } from '../../platform/http/event-metadata.js'
import type { ApplicationServices } from '../services.js'
import { AppIdParams, RawApp } from './schemas.js'

// The status family for applications and the users count (docs/original.md "Status family"): the records service VMs keep of
// their applications, with the central service's messages.

const RegisterBody = Type.Object({
  uuid: Type.String({ format: 'uuid' }),
  name: Type.String({ minLength: 1 }),
  description: Type.String(),
  status: ApplicationStatusCode,
  failure_message: Type.Optional(Type.String()),
})
const StatusBody = Type.Object({ status: ApplicationStatusCode, failure_message: Type.Optional(Type.String()) })

function appIdParam(request: FastifyRequest): string {
  const { id } = request.params as { id: string }
  if (!isUuid(id)) throw new HttpError(404, applicationMessages.notFound)
  return id.toLowerCase()
}

export async function statusApplicationRoutes(plain: FastifyInstance, { services }: { services: ApplicationServices }) {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  const owner = { onRequest: app.requireOwner }
  const run = (request: FastifyRequest, reply: FastifyReply, body: unknown, command: ApplicationCommand) =>
    idempotent(services.log, request, reply, () => ({
      statusCode: 202,
      body,
      execute: async (idempotency) => {
        const { result } = await services.applications.handle(applicationStream(command.id), command, {
          metadata: eventMetadata(request),
          ...(idempotency && { idempotency }),
        })
        return result.position
      },
    }))

  const registerDocs = {
    summary: 'Register an application record created elsewhere',
    tags: statusUpdatesTags,
    response: { 202: accepted('Your request to create the specified application has been accepted.', IdData), ...commandErrors(409) },
  }
  const registerOptions = { ...owner, schema: { body: RegisterBody }, config: { docs: registerDocs } }
  app.post('/api/lambda_applications', registerOptions, async (request, reply) => {
    const { uuid, name, description, status, failure_message } = request.body
    const id = uuid.toLowerCase()
    return run(request, reply, success(202, 'Your request to create the specified application has been accepted.', [{ id }]), {
      type: 'RegisterApplication', id, owner: ownerOf(request).id, name, description, status, failureMessage: failure_message ?? '',
    })
  })

  const reportDocs = {
    summary: 'Report an application\'s status (service VM)',
    tags: statusUpdatesTags,
    params: AppIdParams,
    response: { 202: accepted('Lambda application status update accepted.', IdData), ...commandErrors(404, 409) },
  }
  const reportOptions = { ...owner, schema: { body: StatusBody }, config: { docs: reportDocs } }
  app.post('/api/lambda_applications/:id/status', reportOptions, async (request, reply) => {
    const id = appIdParam(request)
    return run(request, reply, success(202, 'Lambda application status update accepted.', [{ id }]), {
      type: 'ChangeApplicationStatus', id, owner: ownerOf(request).id, status: request.body.status, failureMessage: request.body.failure_message ?? '',
    })
  })

  const removeDocs = {
    summary: 'Remove an application record',
    tags: statusUpdatesTags,
    params: AppIdParams,
    response: { 202: accepted('Your request to delete the specified application has been accepted.', IdData), ...commandErrors(404) },
  }
  app.delete('/api/lambda_applications/:id', { ...owner, config: { docs: removeDocs } }, async (request, reply) => {
    const id = appIdParam(request)
    return run(request, reply, success(202, 'Your request to delete the specified application has been accepted.', [{ id }]), {
      type: 'RemoveApplication', id, owner: ownerOf(request).id,
    })
  })

  // The original answers these two un-nested: {"code", "short_description"} at the top.
  for (const [action, delta, summary] of [
    ['increment', 1, 'Increment how often an application was started (service VM)'],
    ['decrement', -1, 'Decrement how often an application was started (service VM)'],
  ] as const) {
    const docs = {
      summary,
      tags: statusUpdatesTags,
      params: AppIdParams,
      response: { 202: { ...ReplyStatus, description: 'Un-nested, as the original answers.', headers: commandReplyHeaders }, ...commandErrors(404) },
    }
    app.post(`/api/lambda_applications/:id/${action}_started`, { ...owner, config: { docs } }, async (request, reply) => {
      const id = appIdParam(request)
      return run(
        request,
        reply,
        { code: 202, short_description: `Your request to ${action} the times started of the specified application has been accepted.` },
        { type: 'ChangeTimesStarted', id, owner: ownerOf(request).id, delta },
      )
    })
  }

  const listDocs = {
    summary: 'The user\'s application records, raw',
    tags: statusUpdatesTags,
    querystring: PageQuery,
    response: { 200: paginated('Lambda Applications.', RawApp), ...authErrors(400) },
  }
  app.get('/api/lambda_applications', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request) => {
    const page = pageRequest(request.query, limitMessageCapitalised)
    return paged(request, page, services.applicationQueries.rawList(ownerOf(request).id, page.limit, page.offset), {
      code: 200,
      short_description: 'Lambda Applications.',
    })
  })

  // Public, as in the original.
  const countDocs = {
    summary: 'The service\'s application counts, across owners (public)',
    tags: statusUpdatesTags,
    authenticated: false,
    response: {
      200: successReply(
        'Lambda applications count.',
        Type.Array(Type.Object({ uploaded_applications: Type.String(), running_applications: Type.String() })),
      ),
      ...errors(405),
    },
  }
  app.get('/api/lambda_applications/count', { config: { docs: countDocs, readsReadModels: true } }, async () => {
    const { uploaded, running } = services.applicationQueries.totals()
    return success(200, 'Lambda applications count.', [{ uploaded_applications: String(uploaded), running_applications: String(running) }])
  })

  // 202, as the original's central service answers (docs/original.md "Status family").
  const usersDocs = {
    summary: 'How many users the service has (public)',
    tags: statusUpdatesTags,
    authenticated: false,
    response: {
      202: successReply('Lambda Users count on ~okeanos infrastructure.', Type.Array(Type.Object({ count: Type.String() }))),
      ...errors(405),
    },
  }
  app.get('/api/users/count', { config: { docs: usersDocs, readsReadModels: true } }, async (_request, reply) =>
    reply.code(202).send(success(202, 'Lambda Users count on ~okeanos infrastructure.', [{ count: String(services.applicationQueries.userCount()) }])),
  )
}
