import { setTimeout as sleep } from 'node:timers/promises'
import { SqliteEventReader, type EventFilter, type StoredEvent } from '../platform/eventlog/sqlite-reader.js'
import { domainEventVersions } from '../app/stores.js'
import { applicationCategory, applicationStream } from '../applications/events.js'
import { instanceCategory, instanceStream } from '../instances/events.js'
import { inCategory } from '../platform/streams.js'
import { dataDir } from './data-dir.js'
import type { Io } from './io.js'

// `lod events tail [--follow] [--type …] [--stream …]`: the last events of the log, then (with --follow) each new
// one as it is committed, read from the log file by polling, so it works beside a running service.

export interface TailOptions {
  lines: number
  follow?: boolean
  type?: string[]
  stream?: string[]
  json?: boolean
  intervalMs: number
  dataDir?: string
}

/** A stream name as is; a bare id stands for its instance or application stream. */
function streamsOf(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) =>
    inCategory(value, instanceCategory) || inCategory(value, applicationCategory) ? [value] : [instanceStream(value), applicationStream(value)],
  )
}

function line(event: StoredEvent, json: boolean): string {
  if (json)
    return JSON.stringify({
      position: event.position,
      id: event.id,
      stream: event.stream,
      version: event.version,
      type: event.type,
      type_version: event.typeVersion,
      time: event.time,
      metadata: event.metadata,
      data: event.data,
    })
  return `${event.time}  #${event.position}  ${event.stream}@${event.version}  ${event.type}  ${event.metadata.actor}  ${JSON.stringify(event.data)}`
}

export async function tail(io: Io, options: TailOptions): Promise<number> {
  const reader = new SqliteEventReader(dataDir(io, options.dataDir).events, domainEventVersions)
  const filter: EventFilter = { types: options.type ?? [], streams: streamsOf(options.stream) }
  const json = options.json ?? false
  try {
    const page = 1000
    let position = reader.head()
    for (const event of reader.last(options.lines, position, filter)) io.out(line(event, json))
    while (options.follow && !io.signal.aborted) {
      // Up to the head read first: an event committed meanwhile is left for the next poll, never skipped.
      const head = reader.head()
      const events = reader.select(position, head, page, filter)
      for (const event of events) io.out(line(event, json))
      position = events.length === page ? events[page - 1]!.position : head
      if (events.length < page) await sleep(options.intervalMs, undefined, { signal: io.signal }).catch(() => undefined)
    }
    return 0
  } finally {
    reader.close()
  }
}
