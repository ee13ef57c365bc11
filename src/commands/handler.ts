import { randomUUID } from 'node:crypto'
import type { Decider } from '../domain/decider.js'
import {
  VersionConflictError,
  type AppendResult,
  type EventLog,
  type EventMetadata,
  type IdempotencyRecord,
} from '../eventlog/port.js'

// Runs a command against one stream: load the state, decide, append at the version the decision was made on.
// States are cached by stream and version; on a version conflict (another writer got there first) the
// handler reloads and decides again, so concurrent commands on one instance are serialised by the log.

export interface CommandContext {
  metadata: EventMetadata
  idempotency?: IdempotencyRecord
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
      const { version, state } = await this.load(stream)
      const events = this.decider.decide(command, state)
      const newEvents = events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data, metadata: context.metadata }))
      try {
        const options = context.idempotency ? { idempotency: context.idempotency } : undefined
        const result = await this.log.append(stream, newEvents, version === -1 ? 'no_stream' : version, options)
        this.remember(stream, result.nextVersion, events.reduce(this.decider.evolve, state))
        return { events, result }
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= maxAttempts) throw error
        this.cache.delete(stream)
      }
    }
  }

  /** The current state of a stream, through the cache. */
  async load(stream: string): Promise<{ version: number; state: S }> {
    const cached = this.cache.get(stream)
    if (cached) return cached
    const recorded = await this.log.readStream(stream)
    const state = recorded.reduce((s, e) => this.decider.evolve(s, { type: e.type, data: e.data } as E), this.decider.initialState())
    const loaded = { version: recorded.length - 1, state }
    this.remember(stream, loaded.version, state)
    return loaded
  }

  private remember(stream: string, version: number, state: S): void {
    this.cache.delete(stream)
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(stream, { version, state })
  }
}
