import type pg from 'pg'
import { inTransaction } from './eventlog/postgres-transaction.js'

// A schema kept in PostgreSQL is created and migrated when the code that owns it opens: each migration runs once,
// in order, and is recorded in the schema's version table; a database migrated by newer code is refused rather
// than misread. Processes opening the same database at once migrate it once (a transaction-level advisory lock).

export interface Schema {
  /** What the schema holds, in messages: "the event log". */
  name: string
  /** The table its applied versions are recorded in. */
  versionTable: string
  /** The advisory lock that serializes its migrations. */
  lock: bigint
  /** Version n is migrations[n - 1]. */
  migrations: readonly string[]
}

/** Creates the schema or brings it up to this code's version, in one transaction. */
export async function migrateSchema(pool: pg.Pool, schema: Schema): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [schema.lock.toString()])
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema.versionTable} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema.versionTable}`)
    const current = rows[0]?.version ?? 0
    if (current > schema.migrations.length)
      throw new Error(`${schema.name}'s schema is at version ${current}, this code knows versions up to ${schema.migrations.length}: upgrade it`)
    for (let version = current + 1; version <= schema.migrations.length; version++) {
      await client.query(schema.migrations[version - 1]!)
      await client.query(`INSERT INTO ${schema.versionTable} (version) VALUES ($1)`, [version])
    }
  })
}
