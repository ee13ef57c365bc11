import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { EventLog } from '../../src/platform/eventlog/port.js'
import { readModels } from '../../src/app/stores.js'
import { openReadModelDb, ProjectionRunner } from '../../projections/runner.js'
import type { Command } from './commands.js'

// After the last stop: the log holds every acknowledged command exactly once (found by its Idempotency-Key in
// the events' metadata) and no refused one, and the read models of every node are what a fresh rebuild from the
// log makes. The log is read through its port, so SQLite and PostgreSQL are checked alike.

export interface Verdict {
  /** Acknowledged, and not in the log. */
  lost: Command[]
  /** Acknowledged, and in the log more than once (or as another event). */
  duplicated: Command[]
  /** Refused with a 4xx, and in the log all the same. */
  refusedButStored: Command[]
  /** Tables of the live read models that differ from a fresh rebuild (with several nodes, "node N: table"). */
  readModelDifferences: string[]
  events: number
}

/** Every row of a table, in an order that does not depend on how it was written. */
function dump(db: Database.Database, table: string): unknown[] {
  const columns = db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table)
  const order = columns.map((_, i) => i + 1).join(', ')
  return db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).raw().all()
}

/** `readModelFiles`: each node's read models; `scratchDir`: where the fresh rebuild is made (and removed). */
export async function verify(
  log: EventLog,
  readModelFiles: readonly string[],
  scratchDir: string,
  acknowledged: readonly Command[],
  refused: readonly Command[],
): Promise<Verdict> {
  // One pass over the log: the events' keys, and a fresh rebuild of the read models.
  const freshPath = join(scratchDir, 'fresh-rebuild.db')
  rmSync(freshPath, { force: true })
  const fresh = openReadModelDb(freshPath)
  const rebuild = new ProjectionRunner(fresh, readModels)
  const byKey = new Map<string, string[]>()
  let head = 0
  for (let batch; (batch = await log.readAll(head, 10_000)).length > 0; ) {
    for (const event of batch) {
      const key = event.metadata.idempotency_key
      if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), event.type])
    }
    rebuild.apply(batch)
    head = batch.at(-1)!.position
  }

  const lost = acknowledged.filter((command) => !byKey.has(command.key))
  const duplicated = acknowledged.filter((command) => {
    const stored = byKey.get(command.key)
    return stored !== undefined && (stored.length !== 1 || stored[0] !== command.event)
  })
  const refusedButStored = refused.filter((command) => byKey.has(command.key))

  // Each node's read models, compared table by table with the fresh rebuild.
  const tables = [...readModels.flatMap((projection) => projection.tables), 'projection_checkpoints']
  const readModelDifferences: string[] = []
  readModelFiles.forEach((file, i) => {
    const live = new Database(file, { readonly: true })
    for (const table of tables)
      if (JSON.stringify(dump(live, table)) !== JSON.stringify(dump(fresh, table)))
        readModelDifferences.push(readModelFiles.length > 1 ? `node ${i + 1}: ${table}` : table)
    live.close()
  })
  fresh.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${freshPath}${suffix}`, { force: true })
  return { lost, duplicated, refusedButStored, readModelDifferences, events: head }
}
