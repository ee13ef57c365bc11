import pg from 'pg'
import { migrateSchema } from '../platform/postgres-migrations.js'
import type { SealedSecret, SealedSecrets, SecretKind } from './store.js'

// The secret store's rows in PostgreSQL, beside the event log, so that every node reads the secrets any node
// kept: the owner's token an API node took with a request, the SSH key and service-VM token a reactor process
// made. The rows are sealed by the store (store.ts), as in the SQLite file; the table is created and migrated
// when the store opens, its versions recorded in secrets_schema_version.

const migrations: readonly string[] = [
  `
CREATE TABLE secrets (
  subject_id text NOT NULL,
  kind       text NOT NULL,
  lookup     text UNIQUE,
  sealed     bytea NOT NULL,
  PRIMARY KEY (subject_id, kind)
);
`,
]

/** Serializes the migrations of stores opening the same database at once. */
const migrationLock = 0x6c6f645f736563n

export interface PostgresSecretsOptions {
  /** `postgresql://user@host:port/database`: the event log's database. */
  connectionString: string
  /** Called when an idle connection fails (the next query opens another). */
  onConnectionError?: (error: unknown) => void
  /** The most connections used at once (4 by default). */
  maxConnections?: number
}

export class PostgresSecrets implements SealedSecrets {
  private constructor(private readonly pool: pg.Pool) {}

  /** Opens the store's table, creating or migrating it first. */
  static async open(options: PostgresSecretsOptions): Promise<PostgresSecrets> {
    const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 4 })
    // An idle connection that fails is dropped by the pool; unheard, its error would end the process.
    pool.on('error', options.onConnectionError ?? ((error) => console.error('secret store connection failed', error)))
    try {
      await migrateSchema(pool, { name: 'the secret store', versionTable: 'secrets_schema_version', lock: migrationLock, migrations })
    } catch (error) {
      await pool.end()
      throw error
    }
    return new PostgresSecrets(pool)
  }

  async insert({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    await this.pool.query({
      name: 'lod-secrets-insert',
      text: 'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, kind) DO NOTHING',
      values: [subjectId, kind, lookup, sealed],
    })
  }

  async replace({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    await this.pool.query({
      name: 'lod-secrets-replace',
      text: 'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, kind) DO UPDATE SET sealed = excluded.sealed',
      values: [subjectId, kind, lookup, sealed],
    })
  }

  async sealed(subjectId: string, kind: SecretKind): Promise<Buffer | undefined> {
    const { rows } = await this.pool.query<{ sealed: Buffer }>({
      name: 'lod-secrets-sealed',
      text: 'SELECT sealed FROM secrets WHERE subject_id = $1 AND kind = $2',
      values: [subjectId, kind],
    })
    return rows[0]?.sealed
  }

  async subjectOfToken(lookup: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ subject_id: string }>({
      name: 'lod-secrets-by-lookup',
      text: "SELECT subject_id FROM secrets WHERE lookup = $1 AND kind = 'instance-token'",
      values: [lookup],
    })
    return rows[0]?.subject_id
  }

  close(): Promise<void> {
    return this.pool.end()
  }
}
