import { join } from 'node:path'
import type { EventLog, JobsAskedFor } from '../platform/eventlog/port.js'
import type { PostgresEventLog } from '../platform/eventlog/postgres.js'
import { eventRules } from '../platform/eventlog/event-rules.js'
import { SqliteEventLog } from '../platform/eventlog/sqlite.js'
import type { JobQueue } from '../platform/jobs/queue.js'
import { SqliteJobQueue } from '../platform/jobs/sqlite-queue.js'
import { privateFile } from '../platform/private-files.js'
import { SecretStore } from '../secrets/store.js'
import { SqliteSecrets } from '../secrets/sqlite.js'
import { domainEventVersions, eventSchemas } from './stores.js'

// What the nodes of one service share: the event log (with the idempotency records and the job queue) and the
// secret store. The embedded default keeps them in SQLite files of the data directory; with a database URL they
// live in PostgreSQL, where every node and reactor process finds them. PostgreSQL's code is loaded only when it is
// used.

export interface StorageOptions {
  /** Where the SQLite files live; undefined: in memory (tests). */
  dataDir: string | undefined
  /** PostgreSQL instead of the SQLite files. */
  databaseUrl?: string
  secretKey: Buffer
  synchronous?: 'full' | 'normal'
  /** Which events ask for jobs: the log queues them with the events. */
  jobs: JobsAskedFor
  /** Told of a PostgreSQL connection that failed (it is opened again). */
  onConnectionError(error: unknown): void
}

export interface Storage {
  log: EventLog
  jobQueue: JobQueue
  secrets: SecretStore
}

/** The log's own rules, on either adapter: what `lod verify` can decode is all it holds (a request that would poison
 *  it is refused instead), and the jobs its events ask for are queued with them. */
export function logOptions(jobs: JobsAskedFor | undefined) {
  return { versions: domainEventVersions, rules: eventRules(eventSchemas, domainEventVersions), ...(jobs !== undefined && { jobs }) }
}

export interface PostgresLogOptions {
  /** Which events ask for jobs; the operator's commands, which append nothing, give none. */
  jobs?: JobsAskedFor
  onConnectionError(error: unknown): void
  /** How often its subscribers look for commits they were not notified of. */
  pollIntervalMs?: number
}

/** The PostgreSQL log of `databaseUrl` as the service opens it: the nodes' and the operator's commands'. */
export async function openPostgresLog(databaseUrl: string, options: PostgresLogOptions): Promise<PostgresEventLog> {
  const { PostgresEventLog } = await import('../platform/eventlog/postgres.js')
  return PostgresEventLog.open({
    connectionString: databaseUrl,
    ...logOptions(options.jobs),
    onConnectionError: options.onConnectionError,
    ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
  })
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  if (options.databaseUrl !== undefined) {
    const [{ PostgresJobQueue }, { PostgresSecrets }] = await Promise.all([import('../platform/jobs/postgres-queue.js'), import('../secrets/postgres.js')])
    const log = await openPostgresLog(options.databaseUrl, { jobs: options.jobs, onConnectionError: options.onConnectionError })
    try {
      // The secrets go through the log's connections to its primary, and follow it when it changes.
      const secrets = new SecretStore(await PostgresSecrets.open(log.primary), options.secretKey)
      return { log, jobQueue: new PostgresJobQueue(log), secrets }
    } catch (error) {
      await log.close()
      throw error
    }
  }
  const file = (name: string) => (options.dataDir === undefined ? ':memory:' : privateFile(join(options.dataDir, name)))
  const log = new SqliteEventLog({ path: file('events.db'), synchronous: options.synchronous ?? 'full', ...logOptions(options.jobs) })
  // 4 MB of pages instead of better-sqlite3's 16 (service.ts says why).
  log.db.pragma('cache_size = -4096')
  return { log, jobQueue: new SqliteJobQueue(log), secrets: new SecretStore(new SqliteSecrets(file('secrets.db')), options.secretKey) }
}
