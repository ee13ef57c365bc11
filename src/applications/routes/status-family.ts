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
import { eventMetadata, type Services } from '../../app/services.js'

// The status family for applications and the users count (upstream §3): the records service VMs keep of
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

export async function statusApplicationRoutes(plain: FastifyInstance, { services }: { services: Services }) {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>()
  const owner = { onRequest: app.requireOwner }
  const run = (request: FastifyRequest, reply: FastifyReply, body: unknown, command: ApplicationCommand) =>
    idempotent(services.log, request, reply, () => ({
      statusCode: 202,
      body,
      execute: async (idempotency) => {
        await services.applications.handle(applicationStream(command.id), command, {
          metadata: eventMetadata(request),
          ...(idempotency && { idempotency }),
        })
      },
    }))

  app.post('/api/lambda_applications', { ...owner, schema: { body: RegisterBody } }, async (request, reply) => {
    const { uuid, name, description, status, failure_message } = request.body
    const id = uuid.toLowerCase()
    return run(request, reply, success(202, 'Your request to create the specified application has been accepted.', [{ id }]), {
      type: 'RegisterApplication', id, owner: ownerOf(request).id, name, description, status, failureMessage: failure_message ?? '',
    })
  })

  app.post('/api/lambda_applications/:id/status', { ...owner, schema: { body: StatusBody } }, async (request, reply) => {
    const id = appIdParam(request)
    return run(request, reply, success(202, 'Lambda application status update accepted.', [{ id }]), {
      type: 'ChangeApplicationStatus', id, owner: ownerOf(request).id, status: request.body.status, failureMessage: request.body.failure_message ?? '',
    })
  })

  app.delete('/api/lambda_applications/:id', owner, async (request, reply) => {
    const id = appIdParam(request)
    return run(request, reply, success(202, 'Your request to delete the specified application has been accepted.', [{ id }]), {
      type: 'RemoveApplication', id, owner: ownerOf(request).id,
    })
  })

  // The original answers these two un-nested: {"code", "short_description"} at the top.
  for (const [action, delta] of [['increment', 1], ['decrement', -1]] as const)
    app.post(`/api/lambda_applications/:id/${action}_started`, owner, async (request, reply) => {
      const id = appIdParam(request)
      return run(
        request,
        reply,
        { code: 202, short_description: `Your request to ${action} the times started of the specified application has been accepted.` },
        { type: 'ChangeTimesStarted', id, owner: ownerOf(request).id, delta },
      )
    })

  app.get('/api/lambda_applications', owner, async (request) => {
    const page = pageRequest(request.query, limitMessageCapitalised)
    return paged(request, page, services.applicationQueries.rawList(ownerOf(request).id, page.limit, page.offset), {
      code: 200,
      short_description: 'Lambda Applications.',
    })
  })

  // Public, as in the original.
  app.get('/api/lambda_applications/count', async () => {
    const { uploaded, running } = services.applicationQueries.totals()
    return success(200, 'Lambda applications count.', [{ uploaded_applications: String(uploaded), running_applications: String(running) }])
  })

  // 202, as the original's central service answers (upstream §3, §9.6).
  app.get('/api/users/count', async (_request, reply) =>
    reply.code(202).send(success(202, 'Lambda Users count on ~okeanos infrastructure.', [{ count: String(services.applicationQueries.userCount()) }])),
  )
}
