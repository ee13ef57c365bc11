import type { FastifyRequest } from 'fastify'
import { webhookMessages } from '../decider.js'
import { HttpError, isUuid } from '../../platform/http/envelope.js'

/** The ids of the path: a malformed one is as missing as an unknown one (404). */
export function webhookIdParam(request: FastifyRequest): string {
  const { id } = request.params as { id: string }
  if (!isUuid(id)) throw new HttpError(404, webhookMessages.notFound)
  return id.toLowerCase()
}

export function deliveryParam(request: FastifyRequest): string {
  const { delivery } = request.params as { delivery: string }
  if (!isUuid(delivery)) throw new HttpError(404, webhookMessages.deliveryNotFound)
  return delivery.toLowerCase()
}
