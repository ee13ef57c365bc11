import Database from 'better-sqlite3'
import { appendRefusal, type PendingAppend } from './group-commit.js'
import type { EventRules } from './event-rules.js'
import {
  DuplicateEventError,
  IdempotencyKeyReusedError,
  LeaseLostError,
  VersionConflictError,
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
import { appendedEvent, storedVersionOf, toRecorded, type EventRow } from './recorded.js'
import { addJobs, JobRows } from './sqlite-jobs.js'
import { defaultWalLimitPages, walCheckpoints, type WalCheckpoints } from './sqlite-checkpoints.js'
import { SqliteSubscribers } from './sqlite-subscribers.js'
import { unversioned, type EventVersions } from './upcast.js'

// The embedded event log: one SQLite file in WAL mode, written by this process, and by any other on the same file
// (a `lod reactors` process beside an API-only `lod serve`), one transaction at a time.
//
// Appends that arrive in the same turn of the event loop are committed together in one transaction
// (group commit): with synchronous=FULL every commit is an fsync, and sharing it is what makes durable
// appends fast. Each append still gets its own version check and its own savepoint, so one conflict does
// not fail its neighbours. Subscribers see a batch right after its commit and before any of its appends
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
  private readonly asked: JobsAskedFor
  private readonly jobs: JobRows
  private pending: PendingAppend[] = []
  private flushScheduled = false
  private readonly subscribers: SqliteSubscribers
  private readonly checkpoints: WalCheckpoints | undefined
  private closed = false

  private readonly stmt: {
    streamVersion: Database.Statement<[string], { v: number | null }>
    insert: Database.Statement<[string, string, number, string, number, string, string, string]>
    byId: Database.Statement<[string], { stream: string; version: number; position: number }>
    readStream: Database.Statement<[string], EventRow>
    readAll: Database.Statement<[number, number], EventRow>
    head: Database.Statement<[], { p: number | null }>
    findIdempotency: Database.Statement<[string, string], { fingerprint: string; status_code: number; body: string }>
    insertIdempotency: Database.Statement<[string, string, string, number, string]>
  }
  private readonly commitBatch: (batch: PendingAppend[]) => Array<{ ok: AppendResult } | { error: unknown }>
  private readonly appendOne: (request: PendingAppend, time: string, committed: RecordedEvent[]) => AppendResult

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
    this.asked = options.jobs ?? (() => undefined)
    this.jobs = new JobRows(this.db)
    this.stmt = {
      streamVersion: this.db.prepare('SELECT max(version) AS v FROM events WHERE stream = ?'),
      insert: this.db.prepare(
        'INSERT INTO events (event_id, stream, version, type, type_version, data, metadata, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byId: this.db.prepare('SELECT stream, version, position FROM events WHERE event_id = ?'),
      readStream: this.db.prepare('SELECT * FROM events WHERE stream = ? ORDER BY version'),
      readAll: this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      head: this.db.prepare('SELECT max(position) AS p FROM events'),
      findIdempotency: this.db.prepare('SELECT fingerprint, status_code, body FROM idempotency WHERE scope = ? AND key = ?'),
      insertIdempotency: this.db.prepare(
        'INSERT INTO idempotency (scope, key, fingerprint, status_code, body) VALUES (?, ?, ?, ?, ?)',
      ),
    }
    // Nested better-sqlite3 transactions are savepoints: a failed append rolls back only itself.
    this.appendOne = this.db.transaction((request: PendingAppend, time: string, committed: RecordedEvent[]) =>
      this.write(request, time, committed),
    )
    this.commitBatch = (batch) => {
      const committed: RecordedEvent[] = []
      const time = new Date().toISOString()
      const results = this.db
        .transaction(() =>
          batch.map((request) => {
            const mark = committed.length
            try {
              return { ok: this.appendOne(request, time, committed) }
            } catch (error) {
              committed.length = mark
              return { error }
            }
          }),
        )
        .immediate()
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

  private write(request: PendingAppend, time: string, committed: RecordedEvent[]): AppendResult {
    const { stream, events, expected } = request
    const lease = request.options?.lease
    const now = Date.now()
    if (lease && !this.jobs.holds(lease, now)) throw new LeaseLostError(lease)
    const retry = this.previousAppend(stream, events)
    if (retry) return retry
    const current = this.stmt.streamVersion.get(stream)?.v ?? -1
    if (expected === 'no_stream' ? current !== -1 : expected !== 'any' && expected !== current)
      throw new VersionConflictError(stream, expected, current)
    const idempotency = request.options?.idempotency
    if (idempotency) {
      if (this.stmt.findIdempotency.get(idempotency.scope, idempotency.key)) throw new IdempotencyKeyReusedError(idempotency.key)
      this.stmt.insertIdempotency.run(
        idempotency.scope,
        idempotency.key,
        idempotency.fingerprint,
        idempotency.statusCode,
        idempotency.body,
      )
    }
    let version = current
    let position = 0
    for (const event of events) {
      version += 1
      const data = JSON.stringify(event.data)
      const metadata = JSON.stringify(event.metadata)
      const typeVersion = storedVersionOf(event, this.versions)
      position = Number(
        this.stmt.insert.run(event.id, stream, version, event.type, typeVersion, data, metadata, time).lastInsertRowid,
      )
      committed.push(appendedEvent(event, { stream, version, position, time }, this.versions))
      const job = this.asked(stream, event.type, event.data)
      if (job) this.jobs.add(job, position, now)
    }
    return { nextVersion: version, position }
  }

  /** The result of an earlier append of exactly these event ids to this stream, if there was one. */
  private previousAppend(stream: string, events: NewEvent[]): AppendResult | undefined {
    const stored = events.map((event) => this.stmt.byId.get(event.id))
    const first = stored[0]
    if (stored.every((row) => row === undefined)) return undefined
    const isRetry =
      first !== undefined && stored.every((row, i) => row !== undefined && row.stream === stream && row.version === first.version + i)
    if (!isRetry) throw new DuplicateEventError(events[stored.findIndex((row) => row !== undefined)]!.id)
    const last = stored[stored.length - 1]!
    return { nextVersion: last.version, position: last.position }
  }

  readStreamSync(stream: string): RecordedEvent[] {
    return this.stmt.readStream.all(stream).map((row) => toRecorded(row, this.versions))
  }

  readAllSync(fromPosition: number, limit: number): RecordedEvent[] {
    return this.stmt.readAll.all(fromPosition, limit).map((row) => toRecorded(row, this.versions))
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
    const row = this.stmt.findIdempotency.get(scope, key)
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
