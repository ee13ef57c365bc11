import type { PostgresPrimary } from '../platform/eventlog/postgres-primary.js'
import { migrateSchema } from '../platform/postgres-migrations.js'
import type { SealedSecret, SealedSecrets, SecretKind } from './store.js'

// The secret store's rows in PostgreSQL, beside the event log and through its connections, so that every node reads
// the secrets any node kept: the owner's token an API node took with a request, the SSH key and service-VM token a
// reactor process made. The rows are sealed by the store (store.ts), as in the SQLite file; the table is created
// and migrated when the store opens, its versions recorded in secrets_schema_version.

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

/** The connections to the primary that the event log holds (src/platform/eventlog/postgres-primary.ts). */
export type PostgresConnections = Pick<PostgresPrimary, 'query' | 'pool'>

export class PostgresSecrets implements SealedSecrets {
  private constructor(private readonly primary: PostgresConnections) {}

  /** Opens the store's table, creating or migrating it first. */
  static async open(primary: PostgresConnections): Promise<PostgresSecrets> {
    await migrateSchema(await primary.pool(), { name: 'the secret store', versionTable: 'secrets_schema_version', lock: migrationLock, migrations })
    return new PostgresSecrets(primary)
  }

  async insert({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    await this.primary.query({
      name: 'lod-secrets-insert',
      text: 'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, kind) DO NOTHING',
      values: [subjectId, kind, lookup, sealed],
    })
  }

  async replace({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    await this.primary.query({
      name: 'lod-secrets-replace',
      text: 'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (subject_id, kind) DO UPDATE SET sealed = excluded.sealed',
      values: [subjectId, kind, lookup, sealed],
    })
  }

  async sealed(subjectId: string, kind: SecretKind): Promise<Buffer | undefined> {
    const { rows } = await this.primary.query<{ sealed: Buffer }>({
      name: 'lod-secrets-sealed',
      text: 'SELECT sealed FROM secrets WHERE subject_id = $1 AND kind = $2',
      values: [subjectId, kind],
    })
    return rows[0]?.sealed
  }

  async subjectOfToken(lookup: string): Promise<string | undefined> {
    const { rows } = await this.primary.query<{ subject_id: string }>({
      name: 'lod-secrets-by-lookup',
      text: "SELECT subject_id FROM secrets WHERE lookup = $1 AND kind = 'instance-token'",
      values: [lookup],
    })
    return rows[0]?.subject_id
  }

  /** The connections are the log's: closing it ends them. */
  async close(): Promise<void> {}
}
