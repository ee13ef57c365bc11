import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import { dataFiles, domainEventVersions, readModels } from '../../src/app/stores.js'
import { openReadModelDb, ProjectionRunner } from '../../projections/runner.js'
import type { Command } from './commands.js'

// After the last stop: the log holds every acknowledged command exactly once (found by its Idempotency-Key in
// the events' metadata) and no refused one, and the read models are what a fresh rebuild from the log makes.

export interface Verdict {
  /** Acknowledged, and not in the log. */
  lost: Command[]
  /** Acknowledged, and in the log more than once (or as another event). */
  duplicated: Command[]
  /** Refused with a 4xx, and in the log all the same. */
  refusedButStored: Command[]
  /** Tables of the live read models that differ from a fresh rebuild. */
  readModelDifferences: string[]
  events: number
}

/** Every row of a table, in an order that does not depend on how it was written. */
function dump(db: Database.Database, table: string): unknown[] {
  const columns = db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table)
  const order = columns.map((_, i) => i + 1).join(', ')
  return db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).raw().all()
}

export function verify(dataDir: string, acknowledged: readonly Command[], refused: readonly Command[]): Verdict {
  const files = dataFiles(dataDir)
  const events = new Database(files.events, { readonly: true })
  const byKey = new Map<string, string[]>()
  for (const [type, key] of events
    .prepare<[], [string, string]>(
      "SELECT type, json_extract(metadata, '$.idempotency_key') FROM events WHERE json_extract(metadata, '$.idempotency_key') IS NOT NULL",
    )
    .raw()
    .all())
    byKey.set(key, [...(byKey.get(key) ?? []), type])
  const head = events.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck().get()!
  events.close()

  const lost = acknowledged.filter((command) => !byKey.has(command.key))
  const duplicated = acknowledged.filter((command) => {
    const stored = byKey.get(command.key)
    return stored !== undefined && (stored.length !== 1 || stored[0] !== command.event)
  })
  const refusedButStored = refused.filter((command) => byKey.has(command.key))

  // A fresh rebuild beside the data, compared table by table with the live read models.
  const freshPath = join(dataDir, 'fresh-rebuild.db')
  rmSync(freshPath, { force: true })
  const log = new SqliteEventLog({ path: files.events, versions: domainEventVersions })
  const fresh = openReadModelDb(freshPath)
  new ProjectionRunner(fresh, readModels).follow(log).close()
  const live = new Database(files.readModels, { readonly: true })
  const readModelDifferences: string[] = []
  for (const projection of readModels)
    for (const table of projection.tables)
      if (JSON.stringify(dump(live, table)) !== JSON.stringify(dump(fresh, table))) readModelDifferences.push(table)
  const checkpoints = (db: Database.Database) => dump(db, 'projection_checkpoints')
  if (JSON.stringify(checkpoints(live)) !== JSON.stringify(checkpoints(fresh))) readModelDifferences.push('projection_checkpoints')
  live.close()
  fresh.close()
  void log.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${freshPath}${suffix}`, { force: true })
  return { lost, duplicated, refusedButStored, readModelDifferences, events: head }
}
