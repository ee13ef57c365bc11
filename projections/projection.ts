import type Database from 'better-sqlite3'
import type { RecordedEvent } from '../src/platform/eventlog/port.js'

// A read model: the tables it owns and how each event changes them. Table names go through `table()` so a
// rebuild can fill fresh tables beside the live ones and swap them in (blue/green).

export type TableName = (logical: string) => string

export interface Projection {
  name: string
  /** Bump when the tables or the handling change: the runner then rebuilds this read model from position 0. */
  version: number
  /** The logical names of the tables it owns. */
  tables: readonly string[]
  /** The event types it reads, if not all: a rebuild has SQLite pass over the others. */
  types?: readonly string[]
  /** CREATE TABLE / CREATE INDEX statements, run once per table set. */
  ddl(table: TableName): string
  /** Returns the function that applies one event; it runs inside the runner's transaction. */
  bind(db: Database.Database, table: TableName): (event: RecordedEvent) => void
  /** Optional, for fresh tables a rebuild fills alone (nobody else reads or writes them meanwhile): folds events
   *  in memory and writes each changed row about once, which makes a rebuild several times faster than `bind`.
   *  After `flush` the tables must be exactly as `bind` would leave them (test/projections/instances/fold.test.ts). */
  fold?(db: Database.Database, table: TableName): Fold
  /** Optional: lets a rebuild fill partitions of the streams at once (projections/fill.ts). */
  mergePartition?: MergePartition
}

/** Adds the tables of a partial rebuild (the events of some streams only, in an attached database `schema`, under
 *  the live names) to `table`'s. Only a read model whose rows each come from one stream's events (or sum them)
 *  can be rebuilt in partitions. */
export type MergePartition = (db: Database.Database, schema: string, table: TableName) => void

export interface Fold {
  apply(event: RecordedEvent): void
  /** Writes everything still in memory; called in a transaction, once the last event is applied. */
  flush(): void
}

export const liveTable: TableName = (logical) => logical

/** mergePartition of tables whose rows are each one stream's: the partitions' rows never collide. */
export const appendRows =
  (...tables: string[]): MergePartition =>
  (db, schema, table) => {
    for (const logical of tables) db.exec(`INSERT INTO "${table(logical)}" SELECT * FROM ${schema}."${logical}"`)
  }
