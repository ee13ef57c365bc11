import type Database from 'better-sqlite3'
import type { PendingAppend } from './group-commit.js'
import {
  DuplicateEventError,
  IdempotencyKeyReusedError,
  LeaseLostError,
  VersionConflictError,
  type AppendResult,
  type AskedJobRow,
  type JobsAskedFor,
  type RecordedEvent,
} from './port.js'
import { appendedEvent, storedVersionOf } from './recorded.js'
import type { JobRows } from './sqlite-jobs.js'
import type { EventVersions } from './upcast.js'

// One append of a SQLite group commit, in the commit's transaction: its checks, then its rows.
//
// An append is refused for its job's lost lease, its stream's version, or its idempotency key used already; its
// event ids stored already make it a retry (the same ids in the same stream at the same versions: answered with
// the first result, nothing written) or a duplicate. All of it is checked, and every row made, before anything is
// written, so that once an append writes, its writes cannot fail short of the database failing: it needs no
// savepoint of its own. The one check left to the writes is for stored ids: a lookup of every id would cost a
// statement per event, and the unique index finds them anyway, when the insert fails. For the same reason a
// refusal looks for a retry only once it is refused.
//
// A write that fails has left its append half written: the whole transaction is rolled back (WriteFailed) and
// the commit runs again with each append in a savepoint of its own, its ids looked up first, so that the one
// that fails fails alone. An append gets the same answer either way.

/** A write failed in a transaction without savepoints: the commit is to run again, append by append. */
export class WriteFailed extends Error {
  constructor() {
    super('an append failed while writing')
  }
}

/** An event of an append, as its row will be written and its subscribers will see it. */
interface EventToWrite {
  id: string
  typeVersion: number
  type: string
  data: string
  metadata: string
  recorded: RecordedEvent
  job: AskedJobRow | undefined
}

export class AppendWriter {
  private readonly stmt: {
    streamVersion: Database.Statement<[string], { v: number | null }>
    insert: Database.Statement<[string, string, number, string, number, string, string, string]>
    byId: Database.Statement<[string], { stream: string; version: number; position: number }>
    findIdempotency: Database.Statement<[string, string], { fingerprint: string; status_code: number; body: string }>
    insertIdempotency: Database.Statement<[string, string, string, number, string]>
  }

  constructor(
    db: Database.Database,
    private readonly versions: EventVersions,
    private readonly asked: JobsAskedFor,
    private readonly jobs: JobRows,
  ) {
    this.stmt = {
      streamVersion: db.prepare('SELECT max(version) AS v FROM events WHERE stream = ?'),
      insert: db.prepare(
        'INSERT INTO events (event_id, stream, version, type, type_version, data, metadata, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare('SELECT stream, version, position FROM events WHERE event_id = ?'),
      findIdempotency: db.prepare('SELECT fingerprint, status_code, body FROM idempotency WHERE scope = ? AND key = ?'),
      insertIdempotency: db.prepare('INSERT INTO idempotency (scope, key, fingerprint, status_code, body) VALUES (?, ?, ?, ?, ?)'),
    }
  }

  findIdempotency(scope: string, key: string): { fingerprint: string; status_code: number; body: string } | undefined {
    return this.stmt.findIdempotency.get(scope, key)
  }

  /** Checks and writes one append; `inSavepoint`: in a savepoint of its own, looking its ids up first. */
  write(request: PendingAppend, time: string, committed: RecordedEvent[], inSavepoint: boolean): AppendResult {
    const { stream, events, expected, options } = request
    const now = Date.now()
    if (options?.lease && !this.jobs.holds(options.lease, now)) throw new LeaseLostError(options.lease)
    if (inSavepoint) {
      const retry = this.previousAppend(request)
      if (retry) return retry
    }
    let current: number
    let rows: EventToWrite[]
    try {
      current = this.stmt.streamVersion.get(stream)?.v ?? -1
      if (expected === 'no_stream' ? current !== -1 : expected !== 'any' && expected !== current)
        throw new VersionConflictError(stream, expected, current)
      const idempotency = options?.idempotency
      if (idempotency && this.stmt.findIdempotency.get(idempotency.scope, idempotency.key)) throw new IdempotencyKeyReusedError(idempotency.key)
      rows = events.map((event, i) => ({
        id: event.id,
        type: event.type,
        typeVersion: storedVersionOf(event, this.versions),
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
        recorded: appendedEvent(event, { stream, version: current + 1 + i, position: 0, time }, this.versions),
        job: this.asked(stream, event.type, event.data),
      }))
    } catch (refusal) {
      if (!inSavepoint) {
        const retry = this.previousAppend(request)
        if (retry) return retry
      }
      throw refusal
    }
    try {
      const idempotency = options?.idempotency
      if (idempotency)
        this.stmt.insertIdempotency.run(idempotency.scope, idempotency.key, idempotency.fingerprint, idempotency.statusCode, idempotency.body)
      let position = 0
      for (const row of rows) {
        const { version } = row.recorded
        position = Number(this.stmt.insert.run(row.id, stream, version, row.type, row.typeVersion, row.data, row.metadata, time).lastInsertRowid)
        row.recorded.position = position
        committed.push(row.recorded)
        if (row.job) this.jobs.add(row.job, position, now)
      }
      return { nextVersion: current + events.length, position }
    } catch (error) {
      throw inSavepoint ? error : new WriteFailed()
    }
  }

  /** The result of an earlier append of exactly these event ids to this stream, if there was one. */
  private previousAppend({ stream, events }: PendingAppend): AppendResult | undefined {
    const stored = events.map((event) => this.stmt.byId.get(event.id))
    const first = stored[0]
    if (stored.every((row) => row === undefined)) return undefined
    const isRetry =
      first !== undefined && stored.every((row, i) => row !== undefined && row.stream === stream && row.version === first.version + i)
    if (!isRetry) throw new DuplicateEventError(events[stored.findIndex((row) => row !== undefined)]!.id)
    const last = stored[stored.length - 1]!
    return { nextVersion: last.version, position: last.position }
  }
}
