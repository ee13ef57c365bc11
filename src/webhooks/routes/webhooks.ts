import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { eventMetadata } from '../../platform/http/event-metadata.js'
import { idempotent, type Reveal } from '../../platform/http/idempotency.js'
import { pageRequest, paged } from '../../platform/http/pagination.js'
import { accepted, authErrors, commandErrors, PageQuery, paginated, successReply } from '../../platform/http/schemas.js'
import { previousSecretMs, webhookMessages } from '../decider.js'
import { destinationProblem } from '../destination.js'
import { webhookStream } from '../events.js'
import type { WebhookServices } from '../services.js'
import { parseWebhookBody } from './body.js'
import { webhookIdParam } from './params.js'
import { CreatedWebhook, CreateWebhookBody, RotatedSecret, WebhookIdParams, WebhookItem, webhookTags } from './schemas.js'

// The owner's webhooks (docs/api.md "Webhooks"): create, list, details, delete, rotate the secret. The signing
// secret is answered by the create and by each rotation, once: it is made and kept in the secret store only after
// the command's commit (a refused request keeps nothing), and the Idempotency-Key record keeps the reply without
// it; a replay (the same owner, key and body) reads the same generation's secret back, never a later one.

export const linksOf = (request: FastifyRequest, id: string) => ({
  self: request.linkTo(`/api/webhooks/${id}`),
  deliveries: request.linkTo(`/api/webhooks/${id}/deliveries`),
})

/** Adds the secret of the reply's generation (made now if the first attempt stopped before keeping it). */
function withSecret(services: WebhookServices): Reveal {
  return async (body) => {
    const reply = body as { status: unknown; data: Array<{ id: string; secret_generation: number }> }
    const [item] = reply.data
    const secret = await services.signingSecret(item!.id, item!.secret_generation)
    return { ...reply, data: [{ id: item!.id, secret, ...item }] }
  }
}

const invalid = (problems: string[]) => new HttpError(400, problems.map((problem) => ({ status: 400, detail: [problem] })))

export async function webhookRoutes(app: FastifyInstance, { services }: { services: WebhookServices }) {
  const owner = { onRequest: app.requireOwner }
  const queries = services.webhookQueries
  const reveal = withSecret(services)

  const createDocs = {
    summary: 'Create a webhook',
    description:
      'Status changes of the owner\'s instances and applications are then POSTed to `url`, signed per Standard Webhooks. ' +
      'The reply carries the signing secret: it is never shown again.',
    tags: webhookTags,
    body: CreateWebhookBody,
    response: { 201: accepted('Webhook created', Type.Array(CreatedWebhook)), ...commandErrors() },
  }
  app.post('/api/webhooks', { ...owner, config: { docs: createDocs } }, async (request, reply) => {
    const user = ownerOf(request)
    return idempotent(
      services.log,
      request,
      reply,
      async () => {
        const checked = parseWebhookBody(request.body)
        if (!checked.ok) throw invalid(checked.problems)
        const { url, events, description } = checked.spec
        const problem = await destinationProblem(url, services.allowPrivate, services.resolve)
        if (problem) throw invalid([problem])
        const id = randomUUID()
        return {
          statusCode: 201,
          body: success(201, 'Webhook created', [{ id, url: url.href, events, description, secret_generation: 1, links: linksOf(request, id) }]),
          execute: async (idempotency) => {
            const { result } = await services.webhooks.handle(
              webhookStream(id),
              { type: 'CreateWebhook', owner: user.id, url: url.href, events, description },
              { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
            )
            return result.position
          },
        }
      },
      reveal,
    )
  })

  const listDocs = {
    summary: "The user's webhooks",
    tags: webhookTags,
    querystring: PageQuery,
    response: { 200: paginated('Webhooks', WebhookItem), ...authErrors(400) },
  }
  app.get('/api/webhooks', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request) => {
    const page = pageRequest(request.query)
    const { items, total } = queries.list(ownerOf(request).id, page.limit, page.offset)
    const withLinks = items.map((item) => ({ ...item, links: linksOf(request, item.id) }))
    return paged(request, page, { items: withLinks, total }, { code: 200, short_description: 'Webhooks' })
  })

  const detailsDocs = {
    summary: "A webhook's details (never its secret)",
    tags: webhookTags,
    params: WebhookIdParams,
    response: { 200: successReply('Webhook details', Type.Array(WebhookItem)), ...authErrors(404) },
  }
  app.get('/api/webhooks/:id', { ...owner, config: { docs: detailsDocs, readsReadModels: true } }, async (request) => {
    const id = webhookIdParam(request)
    const found = queries.details(ownerOf(request).id, id)
    if (!found) throw new HttpError(404, webhookMessages.notFound)
    return success(200, 'Webhook details', [{ ...found, links: linksOf(request, id) }])
  })

  const deleteDocs = {
    summary: 'Delete a webhook',
    description: 'Nothing more is delivered to it, including deliveries still being retried.',
    tags: webhookTags,
    params: WebhookIdParams,
    response: { 202: accepted('Your request to delete the specified webhook has been accepted'), ...commandErrors(404) },
  }
  app.delete('/api/webhooks/:id', { ...owner, config: { docs: deleteDocs } }, async (request, reply) => {
    const id = webhookIdParam(request)
    const user = ownerOf(request)
    return idempotent(services.log, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to delete the specified webhook has been accepted'),
      execute: async (idempotency) => {
        const { result } = await services.webhooks.handle(
          webhookStream(id),
          { type: 'DeleteWebhook', owner: user.id },
          { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
        )
        return result.position
      },
    }))
  })

  const rotateDocs = {
    summary: "Rotate a webhook's signing secret",
    description: 'Answers the new secret, once. For 24 h deliveries carry two signatures, by the new secret and by the previous one.',
    tags: webhookTags,
    params: WebhookIdParams,
    response: { 202: accepted('The signing secret has been rotated', Type.Array(RotatedSecret)), ...commandErrors(404, 409) },
  }
  app.post('/api/webhooks/:id/rotate-secret', { ...owner, config: { docs: rotateDocs } }, async (request, reply) => {
    const id = webhookIdParam(request)
    const user = ownerOf(request)
    return idempotent(
      services.log,
      request,
      reply,
      async () => {
        const { state } = await services.webhooks.load(webhookStream(id))
        if (!state.exists || state.deleted || state.owner !== user.id) throw new HttpError(404, webhookMessages.notFound)
        const now = new Date()
        const generation = state.generation + 1
        const until = new Date(now.getTime() + previousSecretMs).toISOString()
        return {
          statusCode: 202,
          body: success(202, 'The signing secret has been rotated', [{ id, secret_generation: generation, previous_valid_until: until }]),
          execute: async (idempotency) => {
            const { result } = await services.webhooks.handle(
              webhookStream(id),
              { type: 'RotateSecret', owner: user.id, now: now.toISOString(), generation },
              { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
            )
            return result.position
          },
        }
      },
      reveal,
    )
  })
}
