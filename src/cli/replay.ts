import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { replayIntoFile } from '../../projections/rebuild.js'
import type { SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { readModels, registry } from '../app/stores.js'
import { UsageError, type Io } from './io.js'
import { openCommandLog } from './log.js'
import { progressBar, rateLine } from './progress.js'

// `lod replay --as-of <ISO time|position> --out <file>`: every read model as it stood at that moment, in a new
// SQLite file, for questions like "what did the system look like at 10:00 yesterday". The live files are only
// read: the event log read-only (on PostgreSQL, a local copy of it up to that moment), the live read models not
// at all.

/** What --as-of names: a log position, or an ISO time. */
function parseAsOf(asOf: string): number | Date {
  if (/^\d+$/.test(asOf)) return Number(asOf)
  const time = new Date(asOf)
  if (!/^\d{4}-\d{2}-\d{2}/.test(asOf) || Number.isNaN(time.getTime()))
    throw new UsageError(`--as-of must be an ISO time (e.g. 2024-05-01T10:00:00Z) or a log position, got '${asOf}'.`)
  return time
}

/** The position, or the position the log was at at the time. */
function positionAsOf(reader: SqliteEventReader, asOf: number | Date): number {
  return typeof asOf === 'number' ? Math.min(asOf, reader.head()) : reader.positionAt(asOf)
}

export async function replay(
  io: Io,
  options: { asOf: string; out: string; force?: boolean; batchSize?: number; dataDir?: string },
): Promise<number> {
  const log = await openCommandLog(io, options.dataDir)
  const progress = progressBar(io, 'replay')
  try {
    const out = resolve(options.out)
    if (log.serviceFiles.includes(out)) throw new UsageError(`--out must be a new file, not the service's ${out}.`)
    if (existsSync(out) && !options.force) throw new UsageError(`${out} exists; pass --force to replace it.`)
    const asOf = parseAsOf(options.asOf)
    // A position needs the log up to it only; a time, all of it.
    const { reader } = await log.file(typeof asOf === 'number' ? asOf : undefined)
    const upTo = positionAsOf(reader, asOf)
    const result = await replayIntoFile(reader, out, readModels, upTo, {
      asOf: options.asOf,
      registry,
      signal: io.signal,
      ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
      onProgress: ({ done, total }) => progress.update(done, total),
    })
    progress.stop()
    const lastEvent = upTo > 0 ? reader.range(upTo - 1, upTo, 1)[0] : undefined
    io.out(
      `Replayed ${rateLine(result.events, result.seconds)} into ${out}: ` +
        `read models as of position ${result.position}${lastEvent ? ` (last event at ${lastEvent.time})` : ' (empty log)'}.`,
    )
    return 0
  } finally {
    progress.stop()
    await log.close()
  }
}
