import type { FastifyRequest } from 'fastify'
import type { EventMetadata } from '../eventlog/port.js'

const correlationPattern = /^[A-Za-z0-9._-]{1,64}$/

/** Who asked and in which request: what every event a request appends carries (never a token). */
export function eventMetadata(request: FastifyRequest): EventMetadata {
  const actor = request.actor
  const correlation = request.headers['x-correlation-id']
  const metadata: EventMetadata = {
    actor: !actor ? 'anonymous' : actor.kind === 'user' ? actor.owner : actor.kind === 'service-vm' ? 'service-vm' : actor.name,
    request_id: request.id,
    // The client's correlation id only when it is as plain as a request id may be (it enters the audit trail).
    correlation_id: typeof correlation === 'string' && correlationPattern.test(correlation) ? correlation : request.id,
  }
  const key = request.headers['idempotency-key']
  if (typeof key === 'string') metadata.idempotency_key = key
  return metadata
}
