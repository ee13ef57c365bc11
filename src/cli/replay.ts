import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { replayIntoFile } from '../../projections/rebuild.js'
import { SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { domainEventVersions, readModels, registry } from '../app/stores.js'
import { dataDir } from './data-dir.js'
import { UsageError, type Io } from './io.js'
import { progressBar, rateLine } from './progress.js'

// `lod replay --as-of <ISO time|position> --out <file>`: every read model as it stood at that moment, in a new
// SQLite file, for questions like "what did the system look like at 10:00 yesterday". The live files are only
// read: the event log read-only, the live read models not at all.

/** A log position, or the position the log was at at an ISO time. */
export function resolveAsOf(reader: SqliteEventReader, asOf: string): number {
  const head = reader.head()
  if (/^\d+$/.test(asOf)) return Math.min(Number(asOf), head)
  const time = new Date(asOf)
  if (!/^\d{4}-\d{2}-\d{2}/.test(asOf) || Number.isNaN(time.getTime()))
    throw new UsageError(`--as-of must be an ISO time (e.g. 2024-05-01T10:00:00Z) or a log position, got '${asOf}'.`)
  return reader.positionAt(time)
}

export async function replay(
  io: Io,
  options: { asOf: string; out: string; force?: boolean; batchSize?: number; dataDir?: string },
): Promise<number> {
  const files = dataDir(io, options.dataDir)
  const out = resolve(options.out)
  if (out === files.events || out === files.readModels) throw new UsageError(`--out must be a new file, not the service's ${out}.`)
  if (existsSync(out) && !options.force) throw new UsageError(`${out} exists; pass --force to replace it.`)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  const progress = progressBar(io, 'replay')
  try {
    const upTo = resolveAsOf(reader, options.asOf)
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
    reader.close()
  }
}
