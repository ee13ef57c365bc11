import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { messages as instanceMessages } from '../decider.js'
import { ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { pageRequest } from '../../platform/http/pagination.js'
import { renderedStatus, sendRendered, sendRenderedPage } from '../../platform/http/rendered.js'
import { authErrors, CountData, PageQuery, paginated, successReply } from '../../platform/http/schemas.js'
import type { InstanceServices } from '../services.js'
import { InstanceDetails, InstanceIdParams, InstanceItem, instanceTags } from './schemas.js'

// The queries of the user's lambda-instance API (docs/api.md "Lambda instances"; docs/api.md "Lambda instances" and docs/original.md "Statuses"). They are
// registered apart from the commands (app.ts), where no body parser's hooks run, and answer JSON the read
// model rendered: the routes only put its parts together.

const filterMessage = 'filter GET parameter can be used with values status or info.'
const listStatus = renderedStatus(200, 'Lambda instances')
const detailsStatus = renderedStatus(200, 'Lambda instance details')

export async function instanceQueryRoutes(app: FastifyInstance, { services }: { services: InstanceServices }) {
  const { instanceQueries } = services
  const owner = { onRequest: app.requireOwner }

  const listDocs = {
    summary: 'The user\'s lambda instances (not destroyed), in creation order',
    tags: instanceTags,
    querystring: PageQuery,
    response: { 200: paginated('Lambda instances', InstanceItem), ...authErrors(400) },
  }
  app.get('/api/lambda-instances', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request, reply) => {
    const page = pageRequest(request.query)
    const result = instanceQueries.renderedList(ownerOf(request).id, page.limit, page.offset)
    return sendRenderedPage(request, reply, listStatus, page, result)
  })

  const countDocs = {
    summary: 'How many lambda instances the user has (not destroyed)',
    tags: instanceTags,
    response: { 200: successReply('Number of Lambda Instances', CountData), ...authErrors() },
  }
  app.get('/api/lambda-instances/count', { ...owner, config: { docs: countDocs, readsReadModels: true } }, async (request) =>
    success(200, 'Number of Lambda Instances', [{ count: instanceQueries.count(ownerOf(request).id) }]),
  )

  const detailsDocs = {
    summary: 'A lambda instance\'s details',
    tags: instanceTags,
    params: InstanceIdParams,
    querystring: Type.Object({ filter: Type.Optional(Type.String({ enum: ['status', 'info'] })) }),
    response: { 200: successReply('Lambda instance details', Type.Array(InstanceDetails)), ...authErrors(400, 404) },
  }
  app.get('/api/lambda-instances/:id', { ...owner, config: { docs: detailsDocs, readsReadModels: true } }, async (request, reply) => {
    const id = instanceIdParam(request)
    const details = instanceQueries.renderedDetails(ownerOf(request).id, id)
    if (!details) throw new HttpError(404, instanceMessages.notFound)
    const { filter } = request.query as { filter?: unknown }
    let data: string
    if (filter === undefined || filter === '')
      data = `{"info":${details.info},"status":${details.status},"applications":${details.applications}}`
    else if (filter === 'status')
      data = `{"status":${details.status},"id":${JSON.stringify(details.id)},"name":${JSON.stringify(details.name)}}`
    else if (filter === 'info') data = `{"info":${details.info}}`
    else throw new HttpError(400, filterMessage)
    return sendRendered(reply, detailsStatus, `[${data}]`)
  })
}
