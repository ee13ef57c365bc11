import type { FastifyInstance } from 'fastify'
import { ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { eventMetadata } from '../../platform/http/event-metadata.js'
import { idempotent } from '../../platform/http/idempotency.js'
import { pageRequest, paged } from '../../platform/http/pagination.js'
import { accepted, authErrors, commandErrors, PageQuery, paginated } from '../../platform/http/schemas.js'
import { webhookMessages } from '../decider.js'
import { webhookStream } from '../events.js'
import type { WebhookServices } from '../services.js'
import { deliveryParam, webhookIdParam } from './params.js'
import { DeliveryItem, DeliveryParams, WebhookIdParams, webhookTags } from './schemas.js'

// A webhook's deliveries, each with every attempt (docs/api.md "Webhooks"), and a delivery made again on request.

export async function deliveryRoutes(app: FastifyInstance, { services }: { services: WebhookServices }) {
  const owner = { onRequest: app.requireOwner }
  const queries = services.webhookQueries

  const listDocs = {
    summary: "A webhook's deliveries, each with its attempts",
    description: 'In log order. `state`: pending (being attempted, `next_attempt_at` says when again), delivered, or failed.',
    tags: webhookTags,
    params: WebhookIdParams,
    querystring: PageQuery,
    response: { 200: paginated('Webhook deliveries', DeliveryItem), ...authErrors(400, 404) },
  }
  app.get('/api/webhooks/:id/deliveries', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request) => {
    const id = webhookIdParam(request)
    const page = pageRequest(request.query)
    if (!queries.details(ownerOf(request).id, id)) throw new HttpError(404, webhookMessages.notFound)
    return paged(request, page, queries.deliveries(id, page.limit, page.offset), { code: 200, short_description: 'Webhook deliveries' })
  })

  const retryDocs = {
    summary: 'Deliver again now',
    description: 'A delivery that was delivered or failed is attempted anew (the same `webhook-id`), with retries as the first time; 409 while it is still being attempted.',
    tags: webhookTags,
    params: DeliveryParams,
    response: { 202: accepted('Your request to deliver again has been accepted'), ...commandErrors(404, 409) },
  }
  app.post('/api/webhooks/:id/deliveries/:delivery/retry', { ...owner, config: { docs: retryDocs } }, async (request, reply) => {
    const id = webhookIdParam(request)
    const delivery = deliveryParam(request)
    const user = ownerOf(request)
    return idempotent(services.log, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to deliver again has been accepted'),
      execute: async (idempotency) => {
        const { result } = await services.webhooks.handle(
          webhookStream(id),
          { type: 'RequestRedelivery', owner: user.id, delivery },
          { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
        )
        return result.position
      },
    }))
  })
}
