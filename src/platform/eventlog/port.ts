// The event log: the only source of truth. Every adapter passes test/platform/eventlog/contract.ts.
//
// Versions are 0-based per stream: the first event of a stream has version 0, so a stream holding n events
// is at version n-1 and a missing stream at -1. Positions are global, 1-based and strictly increasing.

export interface EventMetadata {
  /** Who caused the event: a user uuid, 'service-vm', or a reactor's name. Never a token. */
  actor: string
  request_id?: string
  causation_id?: string
  correlation_id?: string
  idempotency_key?: string
}

export interface NewEvent {
  /** A UUID; appending an id that is already stored is either a no-op retry or an error (see append). */
  id: string
  type: string
  /** The schema version of `data`; 1 unless an upcaster exists for older versions. */
  typeVersion?: number
  data: unknown
  metadata: EventMetadata
}

export interface RecordedEvent {
  id: string
  stream: string
  version: number
  position: number
  type: string
  typeVersion: number
  data: unknown
  metadata: EventMetadata
  /** ISO-8601 commit time. */
  time: string
  /** Matches `pattern` against the data as stored (JSON text), when it is stored in its type's current version:
   *  a rebuild reads what it needs of its most common events without decoding them (null: decode `data`).
   *  Only events read back from storage have it. */
  matchStoredData?(pattern: RegExp): RegExpExecArray | null
}

/** A version number, or: `any` (no check), `no_stream` (the stream must not exist). */
export type ExpectedVersion = number | 'any' | 'no_stream'

export interface AppendResult {
  /** The stream's version after the append: pass it as the expected version of the next append. */
  nextVersion: number
  /** The global position of the last appended event. */
  position: number
}

/** What an idempotent command answered the first time; stored atomically with the events it appended. */
export interface IdempotencyRecord {
  scope: string
  key: string
  fingerprint: string
  statusCode: number
  body: string
}

/** A job's hold on its work (src/platform/jobs/queue.ts): the job's id in the queue and the token of its claim. */
export interface JobLease {
  job: number
  token: string
}

export interface AppendOptions {
  idempotency?: IdempotencyRecord
  /** The lease of the job that appends: unless the job still holds it, unexpired, the append is refused
   *  (LeaseLostError), so a job another worker has taken over cannot write. */
  lease?: JobLease
}

/** A job an appended event asks for: of `kind`, on the stream of the aggregate `id`, about `arg` if anything else. */
export interface AskedJobRow {
  id: string
  kind: string
  arg?: string
}

/** Which job an event asks for, from what its append has; the log writes the job in the append's transaction, so
 *  an accepted append always has its job and a refused one none. */
export type JobsAskedFor = (stream: string, type: string, data: unknown) => AskedJobRow | undefined

export class VersionConflictError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`version conflict on ${stream}: expected ${String(expected)}, actual ${actual}`)
    this.name = 'VersionConflictError'
  }
}

export class DuplicateEventError extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} is already stored with different content`)
    this.name = 'DuplicateEventError'
  }
}

export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super('idempotency key already used for another request')
    this.name = 'IdempotencyKeyReusedError'
  }
}

/** An append of a job that no longer holds its lease (it expired, and another worker may have the job now): it
 *  wrote nothing, and the job should stop. */
export class LeaseLostError extends Error {
  constructor(readonly lease: JobLease) {
    super(`job ${lease.job} no longer holds its lease`)
    this.name = 'LeaseLostError'
  }
}

/** An event that breaks its type's rules (unknown type or version, data off its schema, no actor): the append is
 *  refused whole, so the log never holds what `lod verify` would report as undecodable. */
export class EventSchemaError extends Error {
  constructor(
    readonly stream: string,
    readonly eventType: string,
    readonly problem: string,
  ) {
    super(`refused to append ${eventType} to ${stream}: ${problem}`)
    this.name = 'EventSchemaError'
  }
}

/** The log cannot be reached for now (its database has no primary, or the connection to it was lost): no fault of
 *  the request, and worth retrying in a moment (a failover ends, a connection is opened again). */
export class LogUnavailableError extends Error {}

/** Receives committed events in position order, in batches. */
export type EventHandler = (events: RecordedEvent[]) => void

export interface Subscription {
  close(): void
}

export interface EventLog {
  /**
   * Appends atomically after checking the stream's version. Appending events whose ids are already stored,
   * in the same stream at the same versions, is a retry: it answers the first result and writes nothing.
   * The promise resolves only after the commit is durable.
   */
  append(stream: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult>
  readStream(stream: string): Promise<RecordedEvent[]>
  /** The version of the stream's last event, -1 for a stream without events: without reading the stream. */
  streamVersion(stream: string): Promise<number>
  /** Events with position > fromPosition, oldest first, at most `limit`. */
  readAll(fromPosition: number, limit: number): Promise<RecordedEvent[]>
  /** Catches up from fromPosition (exclusive), then delivers each commit as it happens. */
  subscribe(fromPosition: number, handler: EventHandler): Subscription
  /** The position of the newest event, 0 for an empty log. */
  headPosition(): Promise<number>
  findIdempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined>
  close(): Promise<void>
}
