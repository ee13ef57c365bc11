import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { EventLog } from '../../src/platform/eventlog/port.js'
import { readModels } from '../../src/app/stores.js'
import { openReadModelDb, ProjectionRunner } from '../../projections/runner.js'
import type { Command } from './commands.js'
import { readModelsPosition } from './nodes.js'

// After the last stop: the log holds every acknowledged command exactly once (found by its Idempotency-Key in
// the events' metadata) and no refused one, and the read models of every node are what a fresh rebuild from the
// log makes, up to where they stand (the log's head, but for what reactors appended while the nodes stopped). The
// log is read through its port, so SQLite and PostgreSQL are checked alike.

export interface Verdict {
  /** Acknowledged, and not in the log. */
  lost: Command[]
  /** Acknowledged, and in the log more than once (or as another event). */
  duplicated: Command[]
  /** Refused with a 4xx, and in the log all the same. */
  refusedButStored: Command[]
  /** Tables of the live read models that differ from a fresh rebuild, or a node whose read models fell behind
   *  (with several nodes, each prefixed "node N: "). */
  readModelDifferences: string[]
  events: number
}

/** Every row of a table, in an order that does not depend on how it was written. */
function dump(db: Database.Database, table: string): unknown[] {
  const columns = db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table)
  const order = columns.map((_, i) => i + 1).join(', ')
  return db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).raw().all()
}

/** `readModelFiles`: each node's read models, which must have reached `head` (what was acknowledged when the load
 *  ended); `scratchDir`: where the fresh rebuild is made (and removed). */
export async function verify(
  log: EventLog,
  readModelFiles: readonly string[],
  head: number,
  scratchDir: string,
  acknowledged: readonly Command[],
  refused: readonly Command[],
): Promise<Verdict> {
  const freshPath = join(scratchDir, 'fresh-rebuild.db')
  rmSync(freshPath, { force: true })
  const fresh = openReadModelDb(freshPath)
  const rebuild = new ProjectionRunner(fresh, readModels)
  // One pass over the log: the events' keys, and a fresh rebuild of the read models, compared with each node's
  // when it reaches the position they stand at. Reactors may append after the load ended, while the nodes stop one
  // by one, so nodes may stand at different positions beyond `head`.
  const byKey = new Map<string, string[]>()
  let position = 0
  const rebuildUpTo = async (end: number) => {
    for (let batch; position < end && (batch = await log.readAll(position, Math.min(10_000, end - position))).length > 0; ) {
      for (const event of batch) {
        const key = event.metadata.idempotency_key
        if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), event.type])
      }
      rebuild.apply(batch)
      position = batch.at(-1)!.position
    }
  }
  const nodes = readModelFiles
    .map((file, i) => {
      const live = new Database(file, { readonly: true })
      return { live, at: readModelsPosition(live), name: readModelFiles.length > 1 ? `node ${i + 1}: ` : '' }
    })
    .sort((a, b) => a.at - b.at)
  const tables = [...readModels.flatMap((projection) => projection.tables), 'projection_checkpoints']
  const readModelDifferences: string[] = []
  for (const { live, at, name } of nodes) {
    if (at < head) readModelDifferences.push(`${name}behind the log (at ${at} of ${head})`)
    await rebuildUpTo(at)
    for (const table of tables)
      if (JSON.stringify(dump(live, table)) !== JSON.stringify(dump(fresh, table))) readModelDifferences.push(`${name}${table}`)
    live.close()
  }
  await rebuildUpTo(Infinity)
  fresh.close()
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${freshPath}${suffix}`, { force: true })

  const lost = acknowledged.filter((command) => !byKey.has(command.key))
  const duplicated = acknowledged.filter((command) => {
    const stored = byKey.get(command.key)
    return stored !== undefined && (stored.length !== 1 || stored[0] !== command.event)
  })
  const refusedButStored = refused.filter((command) => byKey.has(command.key))
  return { lost, duplicated, refusedButStored, readModelDifferences, events: position }
}
