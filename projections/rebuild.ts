import { renameSync, rmSync } from 'node:fs'
import { availableParallelism, hostname } from 'node:os'
import type Database from 'better-sqlite3'
import type { SqliteEventReader } from '../src/platform/eventlog/sqlite-reader.js'
import { applyRange, createBareTables, fillCacheKib, fillerFor, fillTables, type FillOptions, type ReadModelRegistry } from './fill.js'
import { liveTable, type Projection, type TableName } from './projection.js'
import { openReadModelDb, saveCheckpointStatement } from './runner.js'

// Rebuilding read models from the log, beside the live ones (blue/green): the projections fill suffixed tables
// from position 0 while the service keeps running, then one transaction catches up with the log's head, drops
// the old tables, renames the new ones into their place and moves the checkpoints. The service's runner, in
// another process, waits for that transaction on the database lock and then continues from the stored
// checkpoint (projections/runner.ts), so no event is lost or applied twice.

export interface RebuildProgress {
  /** Events applied so far. */
  done: number
  /** Events to apply: the log's head minus the start; grows while the service appends. */
  total: number
}

export interface RebuildOptions {
  /** Events per transaction. A live rebuild holds the service's writes for one transaction at a time (some
   *  50 ms per 10,000 events, its default); a replay into a new file holds nobody up (20,000). */
  batchSize?: number
  onProgress?: (progress: RebuildProgress) => void
  /** Stops between two batches; a replay then leaves no file, a rebuild no tables. */
  signal?: AbortSignal
  /** Threads reading the log at once, each with a share of the streams. Default: 2 (1 on one core) from
   *  200,000 events on; below that a worker costs more to start than it saves. */
  threads?: number
  /** The service's read models, for the threads beyond this one. */
  registry?: ReadModelRegistry
  /** Brings the reader's file up to the log's head when it is a copy of a log kept elsewhere (PostgreSQL:
   *  src/platform/eventlog/sqlite-copy.ts): a live rebuild calls it whenever it looks at the head. */
  catchUp?: () => Promise<unknown>
}

const fillOptions = (options: RebuildOptions, batchSize: number, events: number): FillOptions => ({
  batchSize: options.batchSize ?? batchSize,
  threads: options.threads ?? (events >= 200_000 ? Math.min(2, availableParallelism()) : 1),
  onProgress: options.onProgress,
  signal: options.signal,
  registry: options.registry,
})

export interface RebuildResult {
  projections: string[]
  /** The position the rebuilt read models are at. */
  position: number
  events: number
  seconds: number
}

const rebuildSuffix = '__rebuild'

export const rebuildTable: TableName = (logical) => `${logical}${rebuildSuffix}`

/** The read models as of `upTo`, built into a new SQLite file (written to `<out>.partial`, renamed when done). */
export async function replayIntoFile(
  reader: SqliteEventReader,
  out: string,
  projections: readonly Projection[],
  upTo: number,
  options: RebuildOptions & { asOf?: string } = {},
): Promise<RebuildResult> {
  const started = performance.now()
  const partial = `${out}.partial`
  rmSync(partial, { force: true })
  const db = openReadModelDb(partial)
  try {
    // A half-written file is thrown away, never used: no journal, no fsync until the end.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma(`cache_size = ${fillCacheKib}`)
    for (const projection of projections) createBareTables(db, projection, liveTable)
    const position = await fillTables(db, reader, projections, liveTable, upTo, fillOptions(options, 20_000, upTo))
    const save = saveCheckpointStatement(db)
    const lastTime = reader.projectionRange(position - 1, position, 1)[0]?.time ?? null
    db.transaction(() => {
      for (const projection of projections) {
        db.exec(projection.ddl(liveTable))
        save.run(projection.name, projection.version, position)
      }
      db.exec('CREATE TABLE replay (as_of TEXT, position INTEGER NOT NULL, last_event_time TEXT, replayed_at TEXT NOT NULL)')
      db.prepare('INSERT INTO replay VALUES (?, ?, ?, ?)').run(options.asOf ?? null, position, lastTime, new Date().toISOString())
    })()
    db.pragma('journal_mode = DELETE')
    db.close()
    renameSync(partial, out)
    return { projections: projections.map((p) => p.name), position, events: position, seconds: (performance.now() - started) / 1000 }
  } catch (error) {
    if (db.open) db.close()
    rmSync(partial, { force: true })
    throw error
  }
}

export class RebuildInProgressError extends Error {
  constructor(
    readonly projection: string,
    readonly pid: number,
  ) {
    super(`a rebuild of ${projection} is already running (process ${pid})`)
    this.name = 'RebuildInProgressError'
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** One rebuild per read model at a time, across processes: a row per rebuild, taken over if its process died. */
function claim(db: Database.Database, names: readonly string[]): () => void {
  db.exec(`CREATE TABLE IF NOT EXISTS projection_rebuilds (
    name TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL) WITHOUT ROWID`)
  const host = hostname()
  db.transaction(() => {
    for (const name of names) {
      const holder = db.prepare<[string], { pid: number; host: string }>('SELECT pid, host FROM projection_rebuilds WHERE name = ?').get(name)
      if (holder && (holder.host !== host || processAlive(holder.pid)) && holder.pid !== process.pid)
        throw new RebuildInProgressError(name, holder.pid)
      db.prepare('INSERT OR REPLACE INTO projection_rebuilds VALUES (?, ?, ?, ?)').run(name, process.pid, host, new Date().toISOString())
    }
  }).immediate()
  return () => {
    const release = db.prepare('DELETE FROM projection_rebuilds WHERE name = ? AND pid = ?')
    db.transaction(() => names.forEach((name) => release.run(name, process.pid))).immediate()
  }
}

function dropTables(db: Database.Database, projections: readonly Projection[], table: TableName): void {
  for (const projection of projections)
    for (const logical of projection.tables) db.exec(`DROP TABLE IF EXISTS "${table(logical)}"`)
}

/**
 * Rebuilds the live read models in `readModelsPath` from the log, blue/green, safe while the service runs.
 * Catches up in rounds until the rest is smaller than a batch, then swaps in one immediate transaction.
 */
export async function rebuildLive(
  reader: SqliteEventReader,
  readModelsPath: string,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const started = performance.now()
  const batchSize = options.batchSize ?? 10_000
  const db = openReadModelDb(readModelsPath)
  db.pragma(`cache_size = ${fillCacheKib}`)
  const logHead = async () => {
    await options.catchUp?.()
    return reader.head()
  }
  let release: (() => void) | undefined
  let swapped = false
  try {
    release = claim(db, projections.map((p) => p.name))
    db.transaction(() => projections.forEach((projection) => createBareTables(db, projection, rebuildTable))).immediate()
    let total = await logHead()
    let position = await fillTables(db, reader, projections, rebuildTable, total, fillOptions(options, batchSize, total))
    // The rest, what the service appended meanwhile, event by event: the tables are no longer a fold's alone.
    const filler = fillerFor(db, projections, rebuildTable, { byEvent: true })
    total = await logHead()
    while (total - position > batchSize) {
      position = await applyRange(db, reader, filler, position, total, {
        batchSize,
        signal: options.signal,
        onBatch: (done) => options.onProgress?.({ done, total }),
      })
      total = await logHead()
    }
    const save = saveCheckpointStatement(db)
    // Not db.transaction(): the head of a log kept elsewhere is awaited inside it.
    db.exec('BEGIN IMMEDIATE')
    try {
      // The service's runner cannot write from here on: what the log holds now is all it may have applied.
      const head = await logHead()
      for (let reached = position, next = filler.fill(reader, reached, head, batchSize); next !== reached; next = filler.fill(reader, reached, head, batchSize))
        reached = next
      for (const projection of projections) {
        for (const logical of projection.tables) {
          db.exec(`DROP TABLE IF EXISTS "${logical}"`)
          db.exec(`ALTER TABLE "${rebuildTable(logical)}" RENAME TO "${logical}"`)
        }
        db.exec(projection.ddl(liveTable))
        save.run(projection.name, projection.version, head)
      }
      db.exec('COMMIT')
      position = head
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK')
      throw error
    }
    swapped = true
    options.onProgress?.({ done: position, total: position })
    return { projections: projections.map((p) => p.name), position, events: position, seconds: (performance.now() - started) / 1000 }
  } finally {
    // Leftover tables of a failed rebuild are ours to drop, never those of another rebuild still running.
    if (release && !swapped) db.transaction(() => dropTables(db, projections, rebuildTable)).immediate()
    release?.()
    db.close()
  }
}
