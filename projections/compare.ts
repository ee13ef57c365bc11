import Database from 'better-sqlite3'
import type { SqliteEventReader } from '../src/platform/eventlog/sqlite-reader.js'
import { liveTable, type Projection } from './projection.js'
import { bindProjections } from './runner.js'

// Does each live read model equal a fresh rebuild from the log? The fresh one is built in memory up to the live
// one's checkpoint, inside one read transaction on the live file, so a running service moving on meanwhile
// changes nothing; then each table is compared row for row both ways.

export interface TableDifference {
  projection: string
  table: string
  /** Rows a fresh rebuild has that the live table lacks or holds differently. */
  missing: number
  /** Rows of the live table a fresh rebuild does not have. */
  unexpected: number
  /** A few of each, as JSON. */
  examples: string[]
}

export interface ReadModelProblem {
  projection: string
  detail: string
}

export interface ComparisonReport {
  compared: Array<{ projection: string; position: number; rows: number }>
  differences: TableDifference[]
  problems: ReadModelProblem[]
}

/** The live read models held still for a comparison: a read transaction on their file, which fixes the checkpoints
 *  it compares at. A reader of a copy of a log kept elsewhere is brought up to that log's head after this opens. */
export interface Comparison {
  /** Rebuilds each projection in memory up to its checkpoint and compares its tables with the live ones. */
  compare(reader: SqliteEventReader, projections: readonly Projection[]): ComparisonReport
  close(): void
}

export function openComparison(readModelsPath: string): Comparison {
  const db = new Database(':memory:')
  try {
    db.prepare('ATTACH DATABASE ? AS live').run(readModelsPath)
    db.exec('BEGIN')
    const hasCheckpoints = db.prepare("SELECT 1 FROM live.sqlite_master WHERE name = 'projection_checkpoints'").get()
    const checkpoints = new Map(
      hasCheckpoints
        ? db
            .prepare<[], { name: string; version: number; position: number }>('SELECT name, version, position FROM live.projection_checkpoints')
            .all()
            .map((row) => [row.name, row])
        : [],
    )
    return {
      compare: (reader, projections) => compareTables(db, reader, projections, checkpoints),
      close() {
        if (db.inTransaction) db.exec('ROLLBACK')
        db.close()
      },
    }
  } catch (error) {
    db.close()
    throw error
  }
}

export function compareWithRebuild(reader: SqliteEventReader, readModelsPath: string, projections: readonly Projection[]): ComparisonReport {
  const comparison = openComparison(readModelsPath)
  try {
    return comparison.compare(reader, projections)
  } finally {
    comparison.close()
  }
}

function compareTables(
  db: Database.Database,
  reader: SqliteEventReader,
  projections: readonly Projection[],
  checkpoints: ReadonlyMap<string, { version: number; position: number }>,
): ComparisonReport {
  const report: ComparisonReport = { compared: [], differences: [], problems: [] }
  for (const projection of projections) {
    const checkpoint = checkpoints.get(projection.name)
    if (!checkpoint) {
      report.problems.push({ projection: projection.name, detail: 'not built (no checkpoint)' })
      continue
    }
    if (checkpoint.version !== projection.version) {
      report.problems.push({ projection: projection.name, detail: `at version ${checkpoint.version}, this code builds ${projection.version}` })
      continue
    }
    db.exec(projection.ddl(liveTable))
    const apply = bindProjections(db, [projection])
    for (let position = 0; position < checkpoint.position; ) {
      const events = reader.projectionRange(position, checkpoint.position, 20_000)
      if (events.length === 0) break
      apply(events, [position])
      position = events[events.length - 1]!.position
    }
    let rows = 0
    for (const table of projection.tables) {
      const columns = db
        .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}', 'main')`)
        .all()
        .map((c) => `"${c.name}"`)
        .join(', ')
      const liveColumns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}', 'live')`).all()
      if (liveColumns.length === 0) {
        report.problems.push({ projection: projection.name, detail: `table ${table} is missing` })
        continue
      }
      const diff = (from: string, to: string) =>
        db.prepare<[], Record<string, unknown>>(`SELECT ${columns} FROM ${from}."${table}" EXCEPT SELECT ${columns} FROM ${to}."${table}"`).all()
      let missing: Array<Record<string, unknown>>
      let unexpected: Array<Record<string, unknown>>
      try {
        missing = diff('main', 'live')
        unexpected = diff('live', 'main')
      } catch (error) {
        report.problems.push({ projection: projection.name, detail: `table ${table}: ${(error as Error).message}` })
        continue
      }
      rows += db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM main."${table}"`).get()!.n
      if (missing.length > 0 || unexpected.length > 0)
        report.differences.push({
          projection: projection.name,
          table,
          missing: missing.length,
          unexpected: unexpected.length,
          examples: [
            ...missing.slice(0, 3).map((row) => `expected ${JSON.stringify(row)}`),
            ...unexpected.slice(0, 3).map((row) => `found    ${JSON.stringify(row)}`),
          ],
        })
    }
    report.compared.push({ projection: projection.name, position: checkpoint.position, rows })
  }
  return report
}
