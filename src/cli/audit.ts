import { history, type HistoryEntry, type StatusName } from '../audit/history.js'
import { UsageError, type Io } from './io.js'
import { openCommandLog, type CommandLog } from './log.js'
import { table } from './table.js'

// `lod audit <instance-id|app-id>`: what happened to one instance or application, who asked, and what ~okeanos
// or the service VM said, straight from the event log.

const streamKinds = ['instance', 'app'] as const

/** The stream an id names: a stream name as is, or the first of instance-<id>, app-<id> that holds events. */
async function findStream(log: CommandLog, id: string) {
  const candidates = streamKinds.some((kind) => id.startsWith(`${kind}-`)) ? [id] : streamKinds.map((kind) => `${kind}-${id.toLowerCase()}`)
  for (const stream of candidates) {
    const events = await log.stream(stream)
    if (events.length > 0) return { stream, events }
  }
  throw new UsageError(`No instance or application ${id} in the event log.`, 1)
}

const statusText = (status: StatusName | null) => (status ? status.message : '-')

function statusChange(entry: HistoryEntry): string {
  const before = statusText(entry.status_before)
  const after = statusText(entry.status_after)
  return before === after ? after : `${before} → ${after}`
}

function actorText(entry: HistoryEntry): string {
  return entry.actor_name ? `${entry.actor_name} (${entry.actor})` : entry.actor
}

export async function audit(io: Io, id: string, options: { json?: boolean; dataDir?: string }): Promise<number> {
  const log = await openCommandLog(io, options.dataDir)
  try {
    const { stream, events } = await findStream(log, id)
    const entries = history(events)
    if (options.json) {
      io.out(JSON.stringify({ stream, events: entries }, null, 2))
      return 0
    }
    io.out(`${stream}: ${entries.length} event${entries.length === 1 ? '' : 's'}`)
    io.out('')
    const rows = entries.map((entry) => [entry.time, entry.event, actorText(entry), statusChange(entry), entry.failure_message])
    for (const line of table(['time', 'event', 'actor', 'status', 'failure message'], rows)) io.out(line)
    return 0
  } finally {
    await log.close()
  }
}
