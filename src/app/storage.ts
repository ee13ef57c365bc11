import { join } from 'node:path'
import type { EventLog } from '../platform/eventlog/port.js'
import { eventRules } from '../platform/eventlog/event-rules.js'
import { SqliteEventLog } from '../platform/eventlog/sqlite.js'
import { privateFile } from '../platform/private-files.js'
import { SecretStore } from '../secrets/store.js'
import { SqliteSecrets } from '../secrets/sqlite.js'
import { domainEventVersions, eventSchemas } from './stores.js'

// What the nodes of one service share: the event log (with the idempotency records) and the secret store. The
// embedded default keeps them in SQLite files of the data directory; with a database URL they live in PostgreSQL,
// where every node and reactor process finds them. PostgreSQL's code is loaded only when it is used.

export interface StorageOptions {
  /** Where the SQLite files live; undefined: in memory (tests). */
  dataDir: string | undefined
  /** PostgreSQL instead of the SQLite files. */
  databaseUrl?: string
  secretKey: Buffer
  synchronous?: 'full' | 'normal'
  /** Told of a PostgreSQL connection that failed (it is opened again). */
  onConnectionError(error: unknown): void
}

export interface Storage {
  log: EventLog
  secrets: SecretStore
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  // The log holds only what `lod verify` can decode: a request that would poison it is refused instead.
  const decoding = { versions: domainEventVersions, rules: eventRules(eventSchemas, domainEventVersions) }
  if (options.databaseUrl !== undefined) {
    const [{ PostgresEventLog }, { PostgresSecrets }] = await Promise.all([
      import('../platform/eventlog/postgres.js'),
      import('../secrets/postgres.js'),
    ])
    const { databaseUrl: connectionString, onConnectionError } = options
    const log = await PostgresEventLog.open({ connectionString, ...decoding, onConnectionError })
    try {
      return { log, secrets: new SecretStore(await PostgresSecrets.open({ connectionString, onConnectionError }), options.secretKey) }
    } catch (error) {
      await log.close()
      throw error
    }
  }
  const file = (name: string) => (options.dataDir === undefined ? ':memory:' : privateFile(join(options.dataDir, name)))
  const log = new SqliteEventLog({ path: file('events.db'), synchronous: options.synchronous ?? 'full', ...decoding })
  // 4 MB of pages instead of better-sqlite3's 16 (service.ts says why).
  log.db.pragma('cache_size = -4096')
  return { log, secrets: new SecretStore(new SqliteSecrets(file('secrets.db')), options.secretKey) }
}
