import type { RecordedEvent } from '../platform/eventlog/port.js'
import type { EventFilter } from '../platform/eventlog/sqlite-reader.js'
import { applicationCategory, applicationStream } from '../applications/events.js'
import { instanceCategory, instanceStream } from '../instances/events.js'
import { inCategory } from '../platform/streams.js'
import type { Io } from './io.js'
import { openCommandLog } from './log.js'

// `lod events tail [--follow] [--type …] [--stream …]`: the last events of the log, then (with --follow) each new
// one as it is committed, as the log tells of it (sqlite-log.ts, postgres-log.ts), so it works beside a running
// service.

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

function line(event: RecordedEvent, json: boolean): string {
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
  const log = await openCommandLog(io, options.dataDir, { pollIntervalMs: options.intervalMs })
  const filter: EventFilter = { types: options.type ?? [], streams: streamsOf(options.stream) }
  const json = options.json ?? false
  try {
    const head = await log.head()
    for (const event of await log.last(options.lines, head, filter)) io.out(line(event, json))
    if (options.follow) await log.follow(head, filter, (event) => io.out(line(event, json)), io.signal)
    return 0
  } finally {
    await log.close()
  }
}
