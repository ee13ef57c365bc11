import type { RecordedEvent } from '../platform/eventlog/port.js'
import type { EventFilter, SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { dataDirPath } from './data-dir.js'
import { UsageError, type Io } from './io.js'

// The log a command reads, chosen as the service chooses it (src/app/storage.ts): the PostgreSQL that every node
// shares when LOD_DATABASE_URL is set, otherwise the SQLite file of the data directory. This node's read models
// are in its data directory either way. Each kind is loaded only when it is used.

export interface CommandLog {
  /** This node's read models. */
  readModels: string
  /** The service's files, which a command's output must never replace. */
  serviceFiles: string[]
  head(): Promise<number>
  stream(stream: string): Promise<RecordedEvent[]>
  /** The last `count` events up to `toPosition` that pass the filter, oldest first. */
  last(count: number, toPosition: number, filter: EventFilter): Promise<RecordedEvent[]>
  /** Prints each event committed after `position` that passes the filter, in order, until `signal` aborts. */
  follow(position: number, filter: EventFilter, print: (event: RecordedEvent) => void, signal: AbortSignal): Promise<void>
  /** The log as a SQLite file up to its head (or `upTo`), for the commands that read all of it (projections/):
   *  the log's own file, or a local copy of the shared one. */
  file(upTo?: number): Promise<LogFile>
  close(): Promise<void>
}

export interface LogFile {
  reader: SqliteEventReader
  /** Brings the file up to the log's head; resolves with the position it holds up to. */
  catchUp(): Promise<number>
}

export interface CommandLogOptions {
  /** How often `follow` looks for new events (on PostgreSQL, besides being notified of them). */
  pollIntervalMs?: number
}

export async function openCommandLog(io: Io, dataDirOption: string | undefined, options: CommandLogOptions = {}): Promise<CommandLog> {
  const { loadDatabaseUrl } = await import('../app/config.js')
  let databaseUrl: string | undefined
  try {
    databaseUrl = loadDatabaseUrl(io.env)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (databaseUrl === undefined) return (await import('./sqlite-log.js')).sqliteCommandLog(io, dataDirOption, options)
  return (await import('./postgres-log.js')).postgresCommandLog(io, databaseUrl, dataDirPath(io, dataDirOption), options)
}
