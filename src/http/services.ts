import type { FastifyRequest } from 'fastify'
import type { CommandHandler } from '../commands/handler.js'
import type { InstanceEvent } from '../domain/events.js'
import type { InstanceCommand, InstanceState } from '../domain/instance.js'
import type { VmChoices } from '../domain/instance-spec.js'
import type { EventLog, EventMetadata } from '../eventlog/port.js'
import type { InstanceQueries } from '../../projections/instances.js'

/** What the routes work with: commands go to handlers, queries to read models, never the other way round. */
export interface Services {
  log: EventLog
  instances: CommandHandler<InstanceCommand, InstanceEvent, InstanceState>
  instanceQueries: InstanceQueries
  /** The instance sizes ~okeanos allows this user (from the flavors). */
  vmChoices(token: string): Promise<VmChoices>
}

export function eventMetadata(request: FastifyRequest): EventMetadata {
  const actor = request.actor
  const correlation = request.headers['x-correlation-id']
  const metadata: EventMetadata = {
    actor: !actor ? 'anonymous' : actor.kind === 'user' ? actor.owner : actor.kind === 'service-vm' ? 'service-vm' : actor.name,
    request_id: request.id,
    correlation_id: typeof correlation === 'string' && correlation.length <= 200 ? correlation : request.id,
  }
  const key = request.headers['idempotency-key']
  if (typeof key === 'string') metadata.idempotency_key = key
  return metadata
}
