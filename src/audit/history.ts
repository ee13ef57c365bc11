import { evolveApplication, initialApplicationState, type ApplicationState } from '../applications/decider.js'
import { applicationCategory, type ApplicationEvent } from '../applications/events.js'
import { instanceCategory, type InstanceEvent } from '../instances/events.js'
import { statusAfter } from '../instances/status-after.js'
import { applicationStatuses } from '../applications/statuses.js'
import { instanceStatuses, isInstanceStatusCode } from '../instances/statuses.js'
import type { RecordedEvent } from '../platform/eventlog/port.js'
import { parseStream } from '../platform/streams.js'

// A stream's audit trail: every event with when, who, and what it did to the status. Shared by `lod audit` and
// GET /api/lambda-instances/{id}/history/, and computed from the log itself, not from a read model, so it is
// exactly what was recorded.

export interface StatusName {
  code: string
  message: string
}

export interface HistoryEntry {
  position: number
  version: number
  time: string
  event: string
  /** Who caused it: a user's uuid, 'service-vm', or a reactor's name. */
  actor: string
  /** The actor's display name when the stream recorded it. */
  actor_name: string | null
  request_id: string | null
  status_before: StatusName | null
  status_after: StatusName | null
  /** What went wrong, as ~okeanos or the service VM reported it; empty when nothing did. */
  failure_message: string
  data: unknown
}

function statusName(code: string): StatusName | null {
  return isInstanceStatusCode(code) ? { code, message: instanceStatuses[code].name } : null
}

/** The owner of an instance stream (from its first event), if the stream is one. */
export function instanceOwner(events: readonly RecordedEvent[]): string | undefined {
  const first = events[0]
  const data = first?.data as { owner?: unknown } | undefined
  return first && (first.type === 'InstanceRequested' || first.type === 'InstanceRegistered') && typeof data?.owner === 'string'
    ? data.owner
    : undefined
}

function applicationStatus(state: ApplicationState): { status: StatusName | null; failureMessage: string } {
  if (!state.exists) return { status: null, failureMessage: '' }
  const known = applicationStatuses[state.status]
  return { status: known ? { code: state.status, message: known.name } : null, failureMessage: state.failureMessage }
}

export function history(events: readonly RecordedEvent[]): HistoryEntry[] {
  const category = events[0] && parseStream(events[0].stream).category
  const isInstance = category === instanceCategory
  const isApplication = category === applicationCategory
  const names = new Map<string, string>()
  let status: StatusName | null = null
  let application = initialApplicationState()
  return events.map((recorded) => {
    const before = status
    let failureMessage = ''
    if (isApplication) {
      const previous = applicationStatus(application)
      application = evolveApplication(application, { type: recorded.type, data: recorded.data } as ApplicationEvent) ?? application
      const next = applicationStatus(application)
      status = next.status
      if (next.status?.code !== previous.status?.code || next.failureMessage !== previous.failureMessage) failureMessage = next.failureMessage
    }
    if (isInstance) {
      const data = recorded.data as { owner?: unknown; owner_name?: unknown }
      if (recorded.type === 'InstanceRequested' && typeof data.owner === 'string' && typeof data.owner_name === 'string')
        names.set(data.owner, data.owner_name)
      const next = statusAfter({ type: recorded.type, data: recorded.data } as InstanceEvent)
      if (next) {
        status = statusName(next.status)
        failureMessage = next.failureMessage
      }
    }
    return {
      position: recorded.position,
      version: recorded.version,
      time: recorded.time,
      event: recorded.type,
      actor: recorded.metadata.actor,
      actor_name: names.get(recorded.metadata.actor) ?? null,
      request_id: recorded.metadata.request_id ?? null,
      status_before: before,
      status_after: status,
      failure_message: failureMessage,
      data: recorded.data,
    }
  })
}
