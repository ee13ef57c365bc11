import { setTimeout as sleep } from 'node:timers/promises'
import { SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { domainEventVersions } from '../app/stores.js'
import { dataDir } from './data-dir.js'
import type { Io } from './io.js'
import type { CommandLog, CommandLogOptions } from './log.js'

// The SQLite log of the data directory, opened read-only: a command never takes the writer's lock, and sees the
// running service's commits as they are made.

export function sqliteCommandLog(io: Io, dataDirOption: string | undefined, options: CommandLogOptions): CommandLog {
  const files = dataDir(io, dataDirOption)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  const pollIntervalMs = options.pollIntervalMs ?? 250
  return {
    readModels: files.readModels,
    serviceFiles: [files.events, files.readModels],
    head: async () => reader.head(),
    stream: async (stream) => reader.stream(stream),
    last: async (count, toPosition, filter) => reader.last(count, toPosition, filter),
    async follow(position, filter, print, signal) {
      const page = 1000
      while (!signal.aborted) {
        // Up to the head read first: an event committed meanwhile is left for the next poll, never skipped.
        const head = reader.head()
        const events = reader.select(position, head, page, filter)
        for (const event of events) print(event)
        position = events.length === page ? events[page - 1]!.position : head
        if (events.length < page) await sleep(pollIntervalMs, undefined, { signal }).catch(() => undefined)
      }
    },
    file: async () => ({ reader, catchUp: async () => reader.head() }),
    close: async () => reader.close(),
  }
}
