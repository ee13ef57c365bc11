import Database from 'better-sqlite3'
import { appendRefusal, type PendingAppend } from './group-commit.js'
import type { EventRules } from './event-rules.js'
import {
  type AppendOptions,
  type AppendResult,
  type EventHandler,
  type EventLog,
  type ExpectedVersion,
  type IdempotencyRecord,
  type JobsAskedFor,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from './port.js'
import { toRecorded, type EventRow } from './recorded.js'
import { AppendWriter, WriteFailed } from './sqlite-append.js'
import { addJobs, JobRows } from './sqlite-jobs.js'
import { defaultWalLimitPages, walCheckpoints, type WalCheckpoints } from './sqlite-checkpoints.js'
import { SqliteSubscribers } from './sqlite-subscribers.js'
import { unversioned, type EventVersions } from './upcast.js'

// The embedded event log: one SQLite file in WAL mode, written by this process, and by any other on the same file
// (a `lod reactors` process beside an API-only `lod serve`), one transaction at a time.
//
// Appends that arrive in the same turn of the event loop are committed together in one transaction
// (group commit): with synchronous=FULL every commit is an fsync, and sharing it is what makes durable
// appends fast. Each append still gets its own checks, all made before it writes (sqlite-append.ts), so one
// conflict does not fail its neighbours. Subscribers see a batch right after its commit and before any of its appends
// resolve, which gives read-your-writes to projections running in this process; other processes' commits reach
// them too (sqlite-subscribers.ts). The WAL is checkpointed beside the commits, by a thread of its own
// (sqlite-checkpoints.ts), not in them.

export interface SqliteEventLogOptions {
  /** A file path, or ':memory:'. */
  path: string
  /** 'full' fsyncs every commit (the default: an acknowledged append survives power loss); 'normal' survives
   *  process crashes only. */
  synchronous?: 'full' | 'normal'
  /** Called when a subscriber throws; the commit stands either way. */
  onSubscriberError?: (error: unknown) => void
  /** How often subscribers look for other processes' commits (50 ms by default). */
  pollIntervalMs?: number
  /** The current version of each event type and the upcasters of the older ones (upcast.ts):
   *  appends are stamped with the current version, reads return the current shape. */
  versions?: EventVersions
  /** The event types' rules (event-rules.ts): an append breaking them is refused before it joins a
   *  commit. Without them the log stores any type, as an adapter under test does. */
  rules?: EventRules
  /** Which events ask for jobs: their appends write them (sqlite-jobs.ts). Without it, no event does. */
  jobs?: JobsAskedFor
  /** The WAL's length in pages past which the log, committing, makes it start over (sqlite-checkpoints.ts). */
  walLimitPages?: number
}

// The layout before versions: the events and the idempotency records.
const schema = `
CREATE TABLE IF NOT EXISTS events (
  position     INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id     TEXT NOT NULL UNIQUE,
  stream       TEXT NOT NULL,
  version      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  type_version INTEGER NOT NULL DEFAULT 1,
  data         TEXT NOT NULL,
  metadata     TEXT NOT NULL,
  time         TEXT NOT NULL,
  UNIQUE (stream, version)
);
CREATE TABLE IF NOT EXISTS idempotency (
  scope       TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  body        TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
`

/** The steps from that layout on, by PRAGMA user_version: each takes the file from its index to the next. */
const migrations: ReadonlyArray<(db: Database.Database) => void> = [addJobs]

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(schema)
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > migrations.length)
      throw new Error(`events.db is at version ${version}, this code knows versions up to ${migrations.length}: upgrade it`)
    for (const step of migrations.slice(version)) step(db)
    db.pragma(`user_version = ${migrations.length}`)
  }).immediate()
}

export class SqliteEventLog implements EventLog {
  readonly db: Database.Database
  private readonly versions: EventVersions
  private readonly rules: EventRules | undefined
  private readonly appends: AppendWriter
  private pending: PendingAppend[] = []
  private flushScheduled = false
  private readonly subscribers: SqliteSubscribers
  private readonly checkpoints: WalCheckpoints | undefined
  private closed = false

  private readonly stmt: {
    readStream: Database.Statement<[string], EventRow>
    streamVersion: Database.Statement<[string], { v: number | null }>
    readAll: Database.Statement<[number, number], EventRow>
    head: Database.Statement<[], { p: number | null }>
  }
  private readonly commitBatch: (batch: PendingAppend[]) => Array<{ ok: AppendResult } | { error: unknown }>

  constructor(options: SqliteEventLogOptions) {
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    this.db.pragma('busy_timeout = 5000')
    try {
      migrate(this.db)
    } catch (error) {
      this.db.close()
      throw error
    }
    this.subscribers = new SqliteSubscribers({
      db: this.db,
      readAll: (fromPosition, limit) => this.readAllSync(fromPosition, limit),
      // Nobody else can write to a database in memory.
      pollIntervalMs: options.path === ':memory:' ? undefined : (options.pollIntervalMs ?? 50),
      onError: options.onSubscriberError ?? ((error) => console.error('event log subscriber failed', error)),
    })
    this.checkpoints =
      options.path === ':memory:'
        ? undefined
        : walCheckpoints(this.db, options.path, options.walLimitPages ?? defaultWalLimitPages, (error) =>
            console.error('event log checkpoint failed', error),
          )
    this.versions = options.versions ?? unversioned
    this.rules = options.rules
    this.appends = new AppendWriter(this.db, this.versions, options.jobs ?? (() => undefined), new JobRows(this.db))
    this.stmt = {
      readStream: this.db.prepare('SELECT * FROM events WHERE stream = ? ORDER BY version'),
      streamVersion: this.db.prepare('SELECT max(version) AS v FROM events WHERE stream = ?'),
      readAll: this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: this.db.prepare('SELECT max(position) AS p FROM events'),
    }
    // Nested better-sqlite3 transactions are savepoints: a failed append rolls back only itself.
    const appendAlone = this.db.transaction((request: PendingAppend, time: string, committed: RecordedEvent[]) =>
      this.appends.write(request, time, committed, true),
    )
    const commit = (batch: PendingAppend[], time: string, committed: RecordedEvent[], inSavepoint: boolean) =>
      this.db
        .transaction(() =>
          batch.map((request) => {
            const mark = committed.length
            try {
              return { ok: inSavepoint ? appendAlone(request, time, committed) : this.appends.write(request, time, committed, false) }
            } catch (error) {
              if (error instanceof WriteFailed) throw error
              committed.length = mark
              return { error }
            }
          }),
        )
        .immediate()
    this.commitBatch = (batch) => {
      const committed: RecordedEvent[] = []
      const time = new Date().toISOString()
      let results: Array<{ ok: AppendResult } | { error: unknown }>
      try {
        results = commit(batch, time, committed, false)
      } catch (error) {
        if (!(error instanceof WriteFailed)) throw error
        committed.length = 0
        results = commit(batch, time, committed, true)
      }
      this.checkpoints?.committed()
      this.subscribers.committed(committed)
      return results
    }
  }

  append(stream: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult> {
    const refusal = appendRefusal(stream, events, this.rules, this.closed)
    if (refusal) return Promise.reject(refusal)
    return new Promise((resolve, reject) => {
      this.pending.push({ stream, events, expected, options, resolve, reject })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.flushScheduled = false
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    let results: Array<{ ok: AppendResult } | { error: unknown }>
    try {
      results = this.commitBatch(batch)
    } catch (error) {
      for (const request of batch) request.reject(error)
      return
    }
    results.forEach((result, i) => {
      if ('ok' in result) batch[i]!.resolve(result.ok)
      else batch[i]!.reject(result.error)
    })
  }

  readStreamSync(stream: string): RecordedEvent[] {
    return this.stmt.readStream.all(stream).map((row) => toRecorded(row, this.versions))
  }

  readAllSync(fromPosition: number, limit: number): RecordedEvent[] {
    return this.stmt.readAll.all(fromPosition, limit).map((row) => toRecorded(row, this.versions))
  }

  async streamVersion(stream: string): Promise<number> {
    return this.stmt.streamVersion.get(stream)?.v ?? -1
  }

  async readStream(stream: string): Promise<RecordedEvent[]> {
    return this.readStreamSync(stream)
  }

  async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.readAllSync(fromPosition, limit)
  }

  headPositionSync(): number {
    return this.stmt.head.get()?.p ?? 0
  }

  async headPosition(): Promise<number> {
    return this.headPositionSync()
  }

  subscribe(fromPosition: number, handler: EventHandler): Subscription {
    return this.subscribers.subscribe(fromPosition, handler)
  }

  async findIdempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.appends.findIdempotency(scope, key)
    return row && { scope, key, fingerprint: row.fingerprint, statusCode: row.status_code, body: row.body }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.flush()
    this.closed = true
    this.subscribers.close()
    await this.checkpoints?.close()
    this.db.close()
  }
}
