import type { FastifyRequest } from 'fastify'
import { messages } from '../decider.js'
import { HttpError, isUuid } from '../../platform/http/envelope.js'

/** The lambda-instance id of the path: a malformed one is as missing as an unknown one (404). */
export function instanceIdParam(request: FastifyRequest): string {
  const { id } = request.params as { id: string }
  if (!isUuid(id)) throw new HttpError(404, messages.notFound)
  return id.toLowerCase()
}
