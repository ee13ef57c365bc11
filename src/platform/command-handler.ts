import type { Decider } from './decider.js'
import { newEventId } from './eventlog/event-ids.js'
import {
  VersionConflictError,
  type AppendResult,
  type EventLog,
  type EventMetadata,
  type IdempotencyRecord,
  type JobLease,
} from './eventlog/port.js'

// Runs a command against one stream: load the state, decide, append at the version the decision was made on.
// States are cached by stream and version; on a version conflict (another writer got there first) the
// handler reloads and decides again, so concurrent commands on one instance are serialised by the log.

export interface CommandContext {
  metadata: EventMetadata
  idempotency?: IdempotencyRecord
  /** The lease of the job that records (AppendOptions.lease). */
  lease?: JobLease
}

export interface Handled<E> {
  events: E[]
  result: AppendResult
}

const maxAttempts = 5

export class CommandHandler<C, E extends { type: string; data: unknown }, S> {
  private readonly cache = new Map<string, { version: number; state: S }>()

  constructor(
    private readonly log: EventLog,
    private readonly decider: Decider<C, E, S>,
    private readonly maxCached = 10_000,
  ) {}

  async handle(stream: string, command: C, context: CommandContext): Promise<Handled<E>> {
    for (let attempt = 1; ; attempt++) {
      // Read the cache only after the last await: from here to the append the decision is synchronous, so no
      // other command on this stream can slip in between.
      if (!this.cache.has(stream)) await this.load(stream)
      const current = this.cache.get(stream)
      if (!current) continue
      const { version, state } = current
      let events: E[]
      try {
        events = this.decider.decide(command, state)
      } catch (refusal) {
        // A refusal appends nothing, so no version check would reveal a cache another writer made stale:
        // look once before refusing.
        if (attempt === 1 && (await this.log.streamVersion(stream)) > version) {
          this.cache.delete(stream)
          continue
        }
        throw refusal
      }
      // Nothing to record: the command was already done (a repeated reactor step).
      if (events.length === 0) return { events, result: { nextVersion: version, position: 0 } }
      const newEvents = events.map((event) => ({ id: newEventId(), type: event.type, data: event.data, metadata: context.metadata }))
      // Commands on one stream are decided in arrival order on the state their predecessors will leave, so
      // they can share one group commit instead of conflicting with each other. If an append fails, every
      // decision taken after it fails its version check too, and is taken again on the reloaded stream.
      this.remember(stream, version + events.length, events.reduce(this.decider.evolve, state))
      try {
        const options = { ...(context.idempotency && { idempotency: context.idempotency }), ...(context.lease && { lease: context.lease }) }
        const result = await this.log.append(stream, newEvents, version === -1 ? 'no_stream' : version, options)
        return { events, result }
      } catch (error) {
        this.forget(stream, version + events.length)
        if (!(error instanceof VersionConflictError) || attempt >= maxAttempts) throw error
      }
    }
  }

  /** The current state of a stream, read from the log: other processes may have appended to it since the cache
   *  was filled, and a job that checks where the stream stands (is the instance still to be destroyed?) acts on
   *  the answer without an append's version check. What it reads refreshes the cache. */
  async load(stream: string): Promise<{ version: number; state: S }> {
    const recorded = await this.log.readStream(stream)
    const state = recorded.reduce((s, e) => this.decider.evolve(s, { type: e.type, data: e.data } as E), this.decider.initialState())
    const loaded = { version: recorded.length - 1, state }
    // A decision taken while we were reading is newer than what we read.
    const cached = this.cache.get(stream)
    if (cached && cached.version >= loaded.version) return cached
    this.remember(stream, loaded.version, state)
    return loaded
  }

  /** Drops the cached state unless a later decision has replaced it already. */
  private forget(stream: string, version: number): void {
    if (this.cache.get(stream)?.version === version) this.cache.delete(stream)
  }

  private remember(stream: string, version: number, state: S): void {
    this.cache.delete(stream)
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(stream, { version, state })
  }
}
