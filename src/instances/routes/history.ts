import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { history, instanceOwner } from '../../audit/history.js'
import { instanceStream } from '../events.js'
import { messages as instanceMessages } from '../decider.js'
import { ownerOf } from '../../platform/http/auth.js'
import { HttpError } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { authErrors, PageQuery, paginated } from '../../platform/http/schemas.js'
import { pageRequest, paged } from '../../platform/http/pagination.js'
import type { InstanceServices } from '../services.js'
import { InstanceIdParams, instanceTags } from './schemas.js'

// GET /api/lambda-instances/{id}/history/: the instance's audit trail, read from the event log (docs/api.md "Beyond
// the original"). Only the owner sees it; paginated like the other lists, oldest first.

const StatusName = Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()])

const HistoryEntry = Type.Object({
  position: Type.Integer({ description: 'Position in the event log.' }),
  version: Type.Integer({ description: 'Version of the instance\'s stream, from 0.' }),
  time: Type.String({ format: 'date-time' }),
  event: Type.String({ description: 'The event type, e.g. InstanceStatusChanged.' }),
  actor: Type.String({ description: 'A user\'s uuid, "service-vm", or a reactor\'s name.' }),
  actor_name: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  status_before: StatusName,
  status_after: StatusName,
  failure_message: Type.String(),
  data: Type.Unknown({ description: 'The event as recorded (current shape of its type).' }),
})

const docs = {
  summary: 'A lambda instance\'s audit trail',
  description: 'Every event of the instance from the event log: when, who, and the status before and after.',
  tags: instanceTags,
  params: InstanceIdParams,
  querystring: PageQuery,
  response: { 200: paginated('Lambda instance history', HistoryEntry), ...authErrors(400, 404) },
}

export async function historyRoutes(app: FastifyInstance, { services }: { services: InstanceServices }) {
  app.get('/api/lambda-instances/:id/history', { onRequest: app.requireOwner, config: { docs } }, async (request) => {
    const id = instanceIdParam(request)
    const events = await services.log.readStream(instanceStream(id))
    if (instanceOwner(events) !== ownerOf(request).id) throw new HttpError(404, instanceMessages.notFound)
    const page = pageRequest(request.query)
    const entries = history(events)
    const items = entries.slice(page.offset, page.limit === undefined ? undefined : page.offset + page.limit)
    return paged(request, page, { items, total: entries.length }, { code: 200, short_description: 'Lambda instance history' })
  })
}
