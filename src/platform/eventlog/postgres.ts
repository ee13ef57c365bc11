import pg from 'pg'
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
import { CommitWatch } from './postgres-commit-watch.js'
import { parsePostgresHosts } from './postgres-hosts.js'
import { PostgresPrimary } from './postgres-primary.js'
import { migrate } from './postgres-schema.js'
import { PostgresSubscriber } from './postgres-subscriber.js'
import { appendedEvent, storedVersionOf, toRecorded, type EventRow } from './recorded.js'
import { unversioned, type EventVersions } from './upcast.js'

// The event log that several processes and nodes share: PostgreSQL (postgres-schema.ts says how positions stay
// gap-free in commit order).
//
// As in the SQLite log, appends are committed in groups: the ones that arrive while a commit is in flight form
// the next one, each with its own checks, so that one conflict does not fail its neighbours. Here a group is one
// call of a server function, one round trip, since the head row stays locked for every round trip of an append
// transaction. This process's subscribers are handed a commit's events before any of its appends resolve
// (read-your-writes for the projections of this process); other processes' commits reach them when the commit
// watch wakes them.

export interface PostgresEventLogOptions {
  /** Where the log is: `postgresql://user@host:port/database`, or several hosts, of which it uses the primary
   *  (postgres-hosts.ts, postgres-primary.ts). */
  connectionString: string
  /** Called when a subscriber throws; the commit stands either way. */
  onSubscriberError?: (error: unknown) => void
  /** Called when a connection fails or a read in the background does (a subscriber's, the commit watch's): they
   *  are retried at the next poll. */
  onConnectionError?: (error: unknown) => void
  /** The current version of each event type and the upcasters of the older ones (upcast.ts). */
  versions?: EventVersions
  /** The event types' rules (event-rules.ts): an append breaking them is refused before it joins a commit. */
  rules?: EventRules
  /** Which events ask for jobs: their appends write them (postgres-jobs-schema.ts). Without it, no event does. */
  jobs?: JobsAskedFor
  /** How often subscribers look for commits they were not notified of (500 ms by default). */
  pollIntervalMs?: number
  /** The most connections appends and reads use at once (10 by default), besides the one that listens. */
  maxConnections?: number
  /** How long a query may go unanswered before it fails as a lost primary (PrimaryLostError): 10 s by default, far
   *  beyond what any of the log's queries takes, even waiting for other appends or a synchronous standby. */
  queryTimeoutMs?: number
}

/** What lod_append_batch answers for each append (postgres-schema.ts). */
type Outcome =
  | { written: AppendResult }
  | { retried: AppendResult }
  | { duplicate: string }
  | { conflict: number }
  | { keyReused: true }
  | { leaseLost: true }

const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => Date

/** Positions (bigint) as numbers and commit times as ISO-8601 text, as the port has them. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return Number
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (text: string) => parseTimestamp(text).toISOString()
    return pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig['getTypeParser'],
}

/** The columns of an EventRow. */
export const eventColumns = 'position, event_id, stream, version, type, type_version, data, metadata, time'

export class PostgresEventLog implements EventLog {
  /** The connections to the primary, which the log's job queue (src/platform/jobs/postgres-queue.ts) shares. */
  readonly primary: PostgresPrimary
  private readonly watch: CommitWatch
  private readonly onSubscriberError: (error: unknown) => void
  private readonly onConnectionError: (error: unknown) => void
  private readonly versions: EventVersions
  private readonly rules: EventRules | undefined
  private readonly asked: JobsAskedFor
  private pending: PendingAppend[] = []
  private commitScheduled = false
  private committing: Promise<void> | undefined
  /** The newest head heard of while a commit was in flight. */
  private heardDuringCommit = 0
  private readonly subscribers = new Set<PostgresSubscriber>()
  private closed = false

  /** Opens the log, creating or migrating its schema first. */
  static async open(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(options)
    try {
      await migrate(await log.primary.pool())
    } catch (error) {
      await log.primary.end()
      throw error
    }
    return log
  }

  private constructor(options: PostgresEventLogOptions) {
    this.onSubscriberError = options.onSubscriberError ?? ((error) => console.error('event log subscriber failed', error))
    this.onConnectionError = options.onConnectionError ?? ((error) => console.error('event log connection failed', error))
    this.versions = options.versions ?? unversioned
    this.rules = options.rules
    this.asked = options.jobs ?? (() => undefined)
    this.primary = new PostgresPrimary(parsePostgresHosts(options.connectionString), {
      types,
      maxConnections: options.maxConnections ?? 10,
      queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
      onConnectionError: this.onConnectionError,
    })
    this.watch = new CommitWatch({
      connect: () => this.primary.connect(),
      pollIntervalMs: options.pollIntervalMs ?? 500,
      readHead: () => this.headPosition(),
      onHead: (head) => this.wake(head),
      onError: this.onConnectionError,
    })
  }

  append(stream: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult> {
    const refusal = appendRefusal(stream, events, this.rules, this.closed)
    if (refusal) return Promise.reject(refusal)
    return new Promise((resolve, reject) => {
      this.pending.push({ stream, events, expected, options, resolve, reject })
      this.scheduleCommit()
    })
  }

  private scheduleCommit(): void {
    if (this.committing || this.commitScheduled || this.pending.length === 0) return
    this.commitScheduled = true
    setImmediate(() => {
      this.commitScheduled = false
      if (!this.committing && this.pending.length > 0) void this.commitPending()
    })
  }

  private commitPending(): Promise<void> {
    const batch = this.pending
    this.pending = []
    this.committing = this.commit(batch)
      .catch((error: unknown) => {
        for (const request of batch) request.reject(error)
      })
      .finally(() => {
        this.committing = undefined
        const heard = this.heardDuringCommit
        this.heardDuringCommit = 0
        this.wake(heard)
        this.scheduleCommit()
      })
    return this.committing
  }

  /** Sends the subscribers that are behind `head` to read up to it. While this process commits, that waits for the
   *  commit's end: the commit hands its own events over (its notification often comes first), so reading is only
   *  needed if others committed too. */
  private wake(head: number): void {
    if (this.committing) this.heardDuringCommit = Math.max(this.heardDuringCommit, head)
    else for (const subscriber of this.subscribers) if (subscriber.position < head) void subscriber.catchUp()
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    let reply: { time: number; results: Outcome[] }
    try {
      const { rows } = await this.primary.query<{ reply: typeof reply }>({
        name: 'lod-append-batch',
        text: 'SELECT lod_append_batch($1::jsonb) AS reply',
        values: [JSON.stringify(batch.map((request) => this.requestOf(request)))],
      })
      reply = rows[0]!.reply
    } catch (error) {
      // Refused whole: an event PostgreSQL cannot store, or a lost connection. That wrote nothing, or, if the
      // connection was lost after the commit, everything, which a retry's event ids tell. Each append then goes
      // alone, so that only the one at fault fails.
      if (batch.length === 1) throw error
      for (const request of batch) await this.commit([request]).catch((alone: unknown) => request.reject(alone))
      return
    }
    const time = new Date(reply.time).toISOString()
    const committed: RecordedEvent[] = []
    let head = 0
    reply.results.forEach((outcome, i) => {
      const { stream, events } = batch[i]!
      const result = 'written' in outcome ? outcome.written : 'retried' in outcome ? outcome.retried : undefined
      if (!result) return
      head = Math.max(head, result.position)
      if ('written' in outcome) {
        const first = { version: result.nextVersion - events.length + 1, position: result.position - events.length + 1 }
        events.forEach((event, j) =>
          committed.push(appendedEvent(event, { stream, version: first.version + j, position: first.position + j, time }, this.versions)),
        )
      }
    })
    for (const subscriber of this.subscribers) subscriber.offer(committed)
    await Promise.all([...this.subscribers].map((subscriber) => subscriber.reach(head)))
    reply.results.forEach((outcome, i) => settle(batch[i]!, outcome))
  }

  private requestOf({ stream, events, expected, options }: PendingAppend): unknown {
    const jobs = events.flatMap((event, i) => {
      const job = this.asked(stream, event.type, event.data)
      return job ? [{ event: i, id: job.id, kind: job.kind, arg: job.arg ?? '' }] : []
    })
    return {
      stream,
      expected,
      events: events.map((event) => ({
        id: event.id,
        type: event.type,
        typeVersion: storedVersionOf(event, this.versions),
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      })),
      ...(options?.idempotency && { idempotency: options.idempotency }),
      ...(options?.lease && { lease: options.lease }),
      ...(jobs.length > 0 && { jobs }),
    }
  }

  async readStream(stream: string): Promise<RecordedEvent[]> {
    const { rows } = await this.primary.query<EventRow>({
      name: 'lod-read-stream',
      text: `SELECT ${eventColumns} FROM events WHERE stream = $1 ORDER BY version`,
      values: [stream],
    })
    return rows.map((row) => toRecorded(row, this.versions))
  }

  async streamVersion(stream: string): Promise<number> {
    const { rows } = await this.primary.query<{ version: number | null }>({
      name: 'lod-stream-version',
      text: 'SELECT max(version) AS version FROM events WHERE stream = $1',
      values: [stream],
    })
    return rows[0]!.version ?? -1
  }

  async readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await this.primary.query<EventRow>({
      name: 'lod-read-all',
      text: `SELECT ${eventColumns} FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
      values: [fromPosition, limit],
    })
    return rows.map((row) => toRecorded(row, this.versions))
  }

  /** Read from the head row, which is never blocked by the appends' lock on it. */
  async headPosition(): Promise<number> {
    const { rows } = await this.primary.query<{ position: number }>({
      name: 'lod-head',
      text: 'SELECT position FROM log_head WHERE id = 1',
    })
    return rows[0]!.position
  }

  /** Catches up in the background: the first events may reach the handler after this returns. */
  subscribe(fromPosition: number, handler: EventHandler): Subscription {
    const subscriber = new PostgresSubscriber(fromPosition, handler, (from, limit) => this.readAll(from, limit), {
      handler: this.onSubscriberError,
      read: this.onConnectionError,
    })
    this.subscribers.add(subscriber)
    this.watch.start()
    void subscriber.catchUp()
    return {
      close: () => {
        subscriber.close()
        this.subscribers.delete(subscriber)
      },
    }
  }

  async findIdempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.primary.query<{ fingerprint: string; status_code: number; body: string }>({
      name: 'lod-find-idempotency',
      text: 'SELECT fingerprint, status_code, body FROM idempotency WHERE scope = $1 AND key = $2',
      values: [scope, key],
    })
    const row = rows[0]
    return row && { scope, key, fingerprint: row.fingerprint, statusCode: row.status_code, body: row.body }
  }

  /** Commits what was accepted, then lets the connections go. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    while (this.committing || this.pending.length > 0) await (this.committing ?? this.commitPending())
    for (const subscriber of this.subscribers) subscriber.close()
    this.subscribers.clear()
    await this.watch.stop()
    await this.primary.end()
  }
}

function settle(request: PendingAppend, outcome: Outcome): void {
  if ('written' in outcome) request.resolve(outcome.written)
  else if ('retried' in outcome) request.resolve(outcome.retried)
  else if ('conflict' in outcome) request.reject(new VersionConflictError(request.stream, request.expected, outcome.conflict))
  else if ('duplicate' in outcome) request.reject(new DuplicateEventError(outcome.duplicate))
  else if ('leaseLost' in outcome) request.reject(new LeaseLostError(request.options!.lease!))
  else request.reject(new IdempotencyKeyReusedError(request.options!.idempotency!.key))
}
