import type { FastifyRequest } from 'fastify'
import type { CommandHandler } from '../platform/command-handler.js'
import type { InstanceEvent } from '../instances/events.js'
import type { InstanceCommand, InstanceState } from '../instances/decider.js'
import type { VmChoices } from '../instances/spec.js'
import type { EventLog, EventMetadata } from '../platform/eventlog/port.js'
import type { InstanceQueries } from '../../projections/instances/queries.js'
import type { ApplicationQueries } from '../../projections/applications/projection.js'
import type { ApplicationCommand, ApplicationState } from '../applications/decider.js'
import type { ApplicationEvent } from '../applications/events.js'
import type { Okeanos } from '../okeanos/index.js'

/** What the routes work with: commands go to handlers, queries to read models, never the other way round. */
export interface Services {
  log: EventLog
  instances: CommandHandler<InstanceCommand, InstanceEvent, InstanceState>
  instanceQueries: InstanceQueries
  applications: CommandHandler<ApplicationCommand, ApplicationEvent, ApplicationState>
  applicationQueries: ApplicationQueries
  /** Where uploads wait for the reactor that stores them on Pithos. */
  uploadsDir: string
  /** Largest application upload, in bytes. */
  uploadLimit: number
  /** How long an upload may send nothing before it is abandoned, in ms. */
  uploadIdleTimeoutMs: number
  /** Keeps the owner's latest ~okeanos token for the jobs that act on the instance or application for them. */
  rememberOwnerToken(subjectId: string, token: string): void
  /** A ~okeanos client acting with the user's token. */
  okeanos(token: string): Promise<Okeanos>
  /** The sizes the creatable flavors offer (upstream §2.4). */
  flavorChoices(okeanos: Okeanos): Promise<VmChoices>
  /** The sizes a lambda instance of this user may take: the flavors' at or above the minimum, or the
   *  original's defaults when ~okeanos cannot say (upstream §5.1). */
  vmChoices(token: string): Promise<VmChoices>
}

const correlationPattern = /^[A-Za-z0-9._-]{1,64}$/

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
