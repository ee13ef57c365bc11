import { renameSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type Database from 'better-sqlite3'
import type { RecordedEvent } from '../src/eventlog/port.js'
import type { SqliteEventReader } from '../src/eventlog/sqlite-reader.js'
import { liveTable, type Fold, type Projection, type TableName } from './projection.js'
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
}

export interface RebuildResult {
  projections: string[]
  /** The position the rebuilt read models are at. */
  position: number
  events: number
  seconds: number
}

/** Fills fresh tables from the log. Nobody else writes them, so a projection that can fold events in memory does
 *  (Projection.fold), and the events stream through one at a time. */
interface Filler {
  /** Applies the events in (after, upTo], at most `limit`; returns the position reached. */
  fill(reader: SqliteEventReader, after: number, upTo: number, limit: number): number
  /** Writes what the folds still hold: the tables are complete once this commits. */
  finish(): void
}

function fillerFor(db: Database.Database, projections: readonly Projection[], table: TableName): Filler {
  const folds: Fold[] = projections.map((projection) => projection.fold?.(db, table) ?? { apply: projection.bind(db, table), flush() {} })
  const apply = (event: RecordedEvent) => {
    for (const fold of folds) fold.apply(event)
  }
  return {
    fill: (reader, after, upTo, limit) => reader.eachForProjections(after, upTo, limit, apply),
    finish: () => folds.forEach((fold) => fold.flush()),
  }
}

const rebuildSuffix = '__rebuild'

/** Page cache of a rebuilding connection: the read models of a million events fit (the default, 2 MB, makes
 *  every other update a cache miss). Negative: KiB. */
const rebuildCacheKib = -262_144
export const rebuildTable: TableName = (logical) => `${logical}${rebuildSuffix}`

/** Applies the events in (after, upTo] to `bound`, one transaction per batch, yielding between batches. */
async function applyRange(
  db: Database.Database,
  reader: SqliteEventReader,
  filler: Filler,
  after: number,
  upTo: number,
  options: RebuildOptions & { start: number; total: () => number },
): Promise<number> {
  const batchSize = options.batchSize ?? 20_000
  const inTransaction = db.transaction((from: number) => filler.fill(reader, from, upTo, batchSize)).immediate
  let position = after
  for (;;) {
    options.signal?.throwIfAborted()
    const reached = inTransaction(position)
    if (reached === position) return position
    position = reached
    options.onProgress?.({ done: position - options.start, total: options.total() })
    await nextTurn()
  }
}

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
    db.pragma(`cache_size = ${rebuildCacheKib}`)
    for (const projection of projections) createBareTables(db, projection, liveTable)
    const filler = fillerFor(db, projections, liveTable)
    const position = await applyRange(db, reader, filler, 0, upTo, {
      ...options,
      start: 0,
      total: () => upTo,
    })
    const save = saveCheckpointStatement(db)
    const lastTime = reader.projectionRange(position - 1, position, 1)[0]?.time ?? null
    db.transaction(() => {
      filler.finish()
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

/** Creates a projection's tables under `table` names, without their indexes: they are created once, at the end
 *  (for a rebuild at the swap, under their live names: SQLite cannot rename an index), which is also faster than
 *  keeping them up to date row by row. */
function createBareTables(db: Database.Database, projection: Projection, table: TableName): void {
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
  db.pragma(`cache_size = ${rebuildCacheKib}`)
  let release: (() => void) | undefined
  let swapped = false
  try {
    release = claim(db, projections.map((p) => p.name))
    db.transaction(() => projections.forEach((projection) => createBareTables(db, projection, rebuildTable))).immediate()
    const filler = fillerFor(db, projections, rebuildTable)
    let total = reader.head()
    let position = 0
    while (total - position > batchSize) {
      position = await applyRange(db, reader, filler, position, total, {
        ...options,
        batchSize,
        start: 0,
        total: () => total,
      })
      total = reader.head()
    }
    const save = saveCheckpointStatement(db)
    position = db.transaction(() => {
      // The service's runner cannot write from here on: what the log holds now is all it may have applied.
      const head = reader.head()
      for (let reached = position, next = filler.fill(reader, reached, head, batchSize); next !== reached; next = filler.fill(reader, reached, head, batchSize))
        reached = next
      filler.finish()
      for (const projection of projections) {
        for (const logical of projection.tables) {
          db.exec(`DROP TABLE IF EXISTS "${logical}"`)
          db.exec(`ALTER TABLE "${rebuildTable(logical)}" RENAME TO "${logical}"`)
        }
        db.exec(projection.ddl(liveTable))
        save.run(projection.name, projection.version, head)
      }
      return head
    }).immediate()
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
