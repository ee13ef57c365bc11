import type { NewEvent, RecordedEvent } from './port.js'
import { unversioned, type EventVersions } from './upcast.js'

// An event as every adapter hands it out: in its type's current shape, whether it was read back or has just
// been appended (subscribers see what a read would return).

/** An event as the adapters store it: data and metadata are JSON text, the time ISO-8601. */
export interface EventRow {
  position: number
  event_id: string
  stream: string
  version: number
  type: string
  type_version: number
  data: string
  metadata: string
  time: string
}

export function toRecorded(row: EventRow, versions: EventVersions = unversioned): RecordedEvent {
  const current = versions.current(row.type)
  const data: unknown = JSON.parse(row.data)
  const old = row.type_version < current
  return {
    id: row.event_id,
    stream: row.stream,
    version: row.version,
    position: row.position,
    type: row.type,
    typeVersion: old ? current : row.type_version,
    data: old ? versions.upcast(row.type, row.type_version, data) : data,
    metadata: JSON.parse(row.metadata),
    time: row.time,
  }
}

/** The version of its type an event is stored with: the current one unless it says otherwise. */
export function storedVersionOf(event: NewEvent, versions: EventVersions): number {
  return event.typeVersion ?? versions.current(event.type)
}

/** An event just appended at `version` and `position`, as a read will return it. */
export function appendedEvent(
  event: NewEvent,
  at: { stream: string; version: number; position: number; time: string },
  versions: EventVersions,
): RecordedEvent {
  const current = versions.current(event.type)
  const typeVersion = storedVersionOf(event, versions)
  return {
    id: event.id,
    ...at,
    type: event.type,
    typeVersion: Math.max(typeVersion, current),
    data: typeVersion < current ? versions.upcast(event.type, typeVersion, event.data) : event.data,
    metadata: event.metadata,
  }
}
