import { openPostgresLog } from '../app/storage.js'
import { dataFiles, domainEventVersions } from '../app/stores.js'
import { LogUnavailableError, type RecordedEvent } from '../platform/eventlog/port.js'
import { PostgresEventReader } from '../platform/eventlog/postgres-reader.js'
import { SqliteLogCopy } from '../platform/eventlog/sqlite-copy.js'
import type { EventFilter } from '../platform/eventlog/sqlite-reader.js'
import { UsageError, type Io } from './io.js'
import type { CommandLog, CommandLogOptions } from './log.js'
import { progressBar, type Progress } from './progress.js'

// The PostgreSQL log that every node shares, opened as the service opens it (the same LOD_DATABASE_URL, failover
// included), beside this node's read models in its data directory. Following the log is the log's own
// subscription (LISTEN/NOTIFY, and polling); the commands that read all of it read a local copy, made when they
// start and brought up to the head whenever they look at it (sqlite-copy.ts). No message repeats the URL (it may
// carry a password): they name hosts only.

const passes = (filter: EventFilter, event: RecordedEvent) =>
  (!filter.types?.length || filter.types.includes(event.type)) && (!filter.streams?.length || filter.streams.includes(event.stream))

/** What the log cannot answer for now ends the command, saying why. */
async function reachable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw error instanceof LogUnavailableError ? new UsageError(error.message, 1) : error
  }
}

export async function postgresCommandLog(io: Io, databaseUrl: string, dataDir: string, options: CommandLogOptions): Promise<CommandLog> {
  let lastProblem = ''
  const onConnectionError = (error: unknown) => {
    // A connection lost for a while fails every poll the same way: said once.
    const problem = error instanceof Error ? error.message : String(error)
    if (problem !== lastProblem) io.err(`lod: the PostgreSQL log: ${problem} (trying again)`)
    lastProblem = problem
  }
  const log = await openPostgresLog(databaseUrl, { onConnectionError, ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }) }).catch(
    (error: unknown) => {
      throw new UsageError(`Cannot open the event log in PostgreSQL (LOD_DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`)
    },
  )
  const reader = new PostgresEventReader(log.primary, domainEventVersions)
  let copy: SqliteLogCopy | undefined
  let copying: Progress | undefined
  const readModels = dataFiles(dataDir).readModels
  return {
    readModels,
    serviceFiles: [readModels],
    head: () => reachable(() => log.headPosition()),
    stream: (stream) => reachable(() => log.readStream(stream)),
    last: (count, toPosition, filter) => reachable(() => reader.last(count, toPosition, filter)),
    async follow(position, filter, print, signal) {
      const subscription = log.subscribe(position, (events) => {
        for (const event of events) if (passes(filter, event)) print(event)
      })
      try {
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))
      } finally {
        subscription.close()
      }
    },
    async file(upTo) {
      const made = (copy ??= SqliteLogCopy.create(
        { head: () => reachable(() => log.headPosition()), rows: (after, to, limit) => reachable(() => reader.rows(after, to, limit)) },
        domainEventVersions,
        { signal: io.signal, onProgress: (copied, target) => copying?.update(copied, target) },
      ))
      copying = progressBar(io, 'copy of the shared log')
      try {
        await made.catchUp(upTo)
      } finally {
        copying.stop()
        copying = undefined
      }
      return { reader: made.reader, catchUp: () => made.catchUp() }
    },
    async close() {
      await copy?.close()
      await log.close()
    },
  }
}
