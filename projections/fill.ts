import { rmSync, statSync } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import type { RecordedEvent } from '../src/platform/eventlog/port.js'
import { SqliteEventReader, type StreamPartition } from '../src/platform/eventlog/sqlite-reader.js'
import type { EventVersions } from '../src/platform/eventlog/upcast.js'
import { liveTable, type Fold, type Projection, type TableName } from './projection.js'

// Filling fresh tables from the log, for a rebuild or a replay. Nobody else writes them, so a projection that can
// fold events in memory does (Projection.fold), and the events stream through one at a time. When every read
// model can merge partitions (Projection.mergePartition), the streams are shared out between this thread, which
// fills the tables, and workers, which fill files of their own that are merged in at the end: reading and
// decoding the events is most of a rebuild's work, and each thread reads only its streams' events.

export interface FillProgress {
  /** Events applied so far (across threads: the average of their positions). */
  done: number
  total: number
}

/** The service's read models and event versions, and the module that exports them as `registry` (a worker loads
 *  it by its URL: the generic fill knows no read model of its own). */
export interface ReadModelRegistry {
  module: string
  versions: EventVersions
  readModels: readonly Projection[]
}

export interface FillOptions {
  /** Events per transaction. */
  batchSize: number
  /** Where workers find the projections; without it the fill runs in this thread alone. */
  registry?: ReadModelRegistry | undefined
  /** Threads filling at once; 1: this one alone. Used only when every projection can merge partitions. */
  threads: number
  onProgress?: ((progress: FillProgress) => void) | undefined
  /** Stops between two batches; the caller drops what was filled. */
  signal?: AbortSignal | undefined
}

export interface Filler {
  /** Applies the events in (after, upTo], at most `limit`, of the partition's streams (all without one); returns
   *  the position of the last event applied, `after` if none. */
  fill(reader: SqliteEventReader, after: number, upTo: number, limit: number, partition?: StreamPartition): number
  /** Writes what the folds still hold: the tables are complete once this commits. */
  finish(): void
}

/** Folds where a projection can (fresh tables only); `byEvent`: every projection applies event by event, as the
 *  service's runner does (tables that already hold rows). */
export function fillerFor(db: Database.Database, projections: readonly Projection[], table: TableName, { byEvent = false } = {}): Filler {
  const folds: Fold[] = projections.map(
    (projection) => (!byEvent && projection.fold?.(db, table)) || { apply: projection.bind(db, table), flush() {} },
  )
  const apply = (event: RecordedEvent) => {
    for (const fold of folds) fold.apply(event)
  }
  // The events no read model reads (the provisioning steps, for one) are left in the log, unread.
  const types = projections.every((projection) => projection.types)
    ? [...new Set(projections.flatMap((projection) => projection.types!))]
    : undefined
  return {
    fill: (reader, after, upTo, limit, partition) => reader.eachForProjections(after, upTo, limit, apply, { partition, types }),
    finish: () => folds.forEach((fold) => fold.flush()),
  }
}

/** Applies the events in (after, upTo] with `filler`, one transaction per batch, yielding between batches.
 *  Returns `upTo`, which the last event applied may be short of (a partition's, or of the types read). */
export async function applyRange(
  db: Database.Database,
  reader: SqliteEventReader,
  filler: Filler,
  after: number,
  upTo: number,
  options: Pick<FillOptions, 'batchSize' | 'signal'> & { partition?: StreamPartition; onBatch?: (position: number) => void },
): Promise<number> {
  const inTransaction = db.transaction((from: number) => filler.fill(reader, from, upTo, options.batchSize, options.partition)).immediate
  let position = after
  for (;;) {
    options.signal?.throwIfAborted()
    const reached = inTransaction(position)
    if (reached === position) return upTo
    position = reached
    options.onBatch?.(position)
    await nextTurn()
  }
}

/** Creates a projection's tables under `table` names, without their indexes: they are created once, at the end
 *  (for a rebuild at the swap, under their live names: SQLite cannot rename an index), which is also faster than
 *  keeping them up to date row by row. */
export function createBareTables(db: Database.Database, projection: Projection, table: TableName): void {
  for (const logical of projection.tables) db.exec(`DROP TABLE IF EXISTS "${table(logical)}"`)
  db.exec(projection.ddl(table))
  const tables = projection.tables.map(table)
  const indexes = db
    .prepare<string[], { name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(', ')})`,
    )
    .all(...tables)
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`)
}

/** Page cache of a filling connection (negative: KiB). A fold writes each row about once, mostly appending: more
 *  than the default 2 MB (the primary key's index is written all over), far less than the tables. */
export const fillCacheKib = -32_768

/** The read models the workers can build: those of the registry (a worker finds them by name). */
function partitionable(reader: SqliteEventReader, projections: readonly Projection[], registry: ReadModelRegistry | undefined): registry is ReadModelRegistry {
  return (
    registry !== undefined &&
    reader.versions === registry.versions &&
    projections.every((projection) => projection.mergePartition && registry.readModels.includes(projection))
  )
}

/**
 * Fills `db`'s fresh tables (named by `table`) with the events in (0, upTo], folded, and completes them; in
 * `options.threads` partitions of the streams at once when the projections allow it. Returns `upTo`.
 */
export async function fillTables(
  db: Database.Database,
  reader: SqliteEventReader,
  projections: readonly Projection[],
  table: TableName,
  upTo: number,
  options: FillOptions,
): Promise<number> {
  const head = reader.head()
  const ahead = readAhead(reader.db.name, head > 0 ? Math.min(1, upTo / head) : 0)
  try {
    return await fillFolded(db, reader, projections, table, upTo, options)
  } finally {
    await ahead.stop()
  }
}

async function fillFolded(...[db, reader, projections, table, upTo, options]: Parameters<typeof fillTables>): Promise<number> {
  const registry = partitionable(reader, projections, options.registry) ? options.registry : undefined
  const threads = registry ? Math.max(1, options.threads) : 1
  const filler = fillerFor(db, projections, table)
  if (threads === 1) {
    const position = await applyRange(db, reader, filler, 0, upTo, {
      ...options,
      onBatch: (done) => options.onProgress?.({ done, total: upTo }),
    })
    db.transaction(() => filler.finish()).immediate()
    return position
  }

  const positions = new Array<number>(threads).fill(0)
  const progress = (index: number, position: number) => {
    positions[index] = position
    options.onProgress?.({ done: Math.floor(positions.reduce((a, b) => a + b, 0) / threads), total: upTo })
  }
  const abort = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal
  const parts = Array.from({ length: threads - 1 }, (_, i) => `${db.name}.part${i + 1}`)
  let workers: Array<Promise<void>> = []
  try {
    workers = parts.map((out, i) =>
      fillInWorker(
        { registry: registry!.module, events: reader.db.name, out, projections: projections.map((p) => p.name), upTo, partition: { index: i + 1, of: threads }, batchSize: 20_000 },
        (position) => progress(i + 1, position),
        signal,
      ),
    )
    // One failing stops the others.
    workers.forEach((worker) => worker.catch(() => abort.abort()))
    await applyRange(db, reader, filler, 0, upTo, {
      ...options,
      signal,
      partition: { index: 0, of: threads },
      onBatch: (position) => progress(0, position),
    })
    db.transaction(() => filler.finish()).immediate()
    await Promise.all(workers)
    for (const part of parts) {
      db.prepare('ATTACH DATABASE ? AS part').run(part)
      try {
        db.transaction(() => projections.forEach((projection) => projection.mergePartition!(db, 'part', table))).immediate()
      } finally {
        db.exec('DETACH DATABASE part')
      }
    }
    options.onProgress?.({ done: upTo, total: upTo })
    return upTo
  } catch (error) {
    abort.abort()
    // Stopped before their files go, or one could open its file after that.
    await Promise.allSettled(workers)
    throw error
  } finally {
    for (const part of parts) rmSync(part, { force: true })
  }
}

// Read in a thread of its own (plain JavaScript: no TypeScript to load), apart from the event loop, which a fill
// holds for a batch at a time.
const readAheadSource = `
const { workerData } = require('node:worker_threads')
const fs = require('node:fs')
const fd = fs.openSync(workerData.path, 'r')
const buffer = Buffer.allocUnsafe(4 << 20)
try {
  for (let position = 0; position < workerData.bytes; ) {
    const read = fs.readSync(fd, buffer, 0, buffer.length, position)
    if (read === 0) break
    position += read
  }
} finally {
  fs.closeSync(fd)
}`

/**
 * Reads the first `share` of the log's file through, ahead of the fill. SQLite reads it a page at a time, which
 * from a cold page cache is many times slower than reading the file in big sequential reads: a million events
 * took 19 s to rebuild after the cache was dropped, and 6 s counting a read of the whole file first.
 */
export function readAhead(path: string, share: number): { stop(): Promise<void> } {
  let bytes = 0
  try {
    bytes = Math.ceil(statSync(path).size * share)
  } catch {
    return { stop: async () => {} }
  }
  if (bytes < readAheadFrom) return { stop: async () => {} }
  const reader = new Worker(readAheadSource, { eval: true, workerData: { path, bytes } })
  // Only ever an optimisation: a failure to read ahead leaves SQLite to read for itself.
  reader.on('error', () => {})
  return { stop: async () => void (await reader.terminate()) }
}

/** Smaller logs are read in no time either way. */
const readAheadFrom = 32 << 20

/** What a worker fills: the events of one partition of the streams, into a new file with the live tables' names. */
export interface PartitionJob {
  /** The URL of the module that exports the `registry`. */
  registry: string
  events: string
  out: string
  projections: string[]
  upTo: number
  partition: StreamPartition
  batchSize: number
}

/** The worker's side of fillTables (fill-worker.ts). */
export async function fillPartitionFile(job: PartitionJob, onBatch: (position: number) => void): Promise<void> {
  const { registry } = (await import(job.registry)) as { registry: ReadModelRegistry }
  const reader = new SqliteEventReader(job.events, registry.versions)
  const db = new Database(job.out)
  try {
    // A part file is merged and deleted, or deleted: no journal, no fsync.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma(`cache_size = ${fillCacheKib}`)
    const projections = registry.readModels.filter((projection) => job.projections.includes(projection.name))
    for (const projection of projections) createBareTables(db, projection, liveTable)
    const filler = fillerFor(db, projections, liveTable)
    await applyRange(db, reader, filler, 0, job.upTo, { batchSize: job.batchSize, partition: job.partition, onBatch })
    db.transaction(() => filler.finish())()
  } finally {
    db.close()
    reader.close()
  }
}

type WorkerMessage = { position: number } | { done: true } | { error: string }

function fillInWorker(job: PartitionJob, onBatch: (position: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fill-worker.mjs', import.meta.url), { workerData: job })
    const stop = () => void worker.terminate()
    signal.addEventListener('abort', stop, { once: true })
    if (signal.aborted) stop()
    let settled = false
    const settle = (error?: Error) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', stop)
      if (error) reject(error)
      else resolve()
    }
    worker.on('message', (message: WorkerMessage) => {
      if ('position' in message) onBatch(message.position)
      else if ('done' in message) settle()
      else settle(new Error(message.error))
    })
    worker.on('error', (error) => settle(error))
    worker.on('exit', (code) => settle(new Error(`the rebuild worker of partition ${job.partition.index} stopped (exit code ${code})`)))
  })
}
