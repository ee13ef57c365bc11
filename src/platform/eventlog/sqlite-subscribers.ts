import type Database from 'better-sqlite3'
import type { EventHandler, RecordedEvent, Subscription } from './port.js'

// The subscribers of a SQLite log. This process's commits are handed to them as they happen. Other processes on
// the same file (a `lod reactors` beside an API-only `lod serve`) commit too: their commits reach the subscribers
// when a poll of PRAGMA data_version (which changes only when another connection has committed) sees one, or
// just before a commit of this process that follows them. Each subscriber keeps the position it was given up to,
// so it gets every event once and in order.

/** A subscriber, and the position of the last event it was given. */
interface Subscriber {
  handler: EventHandler
  position: number
}

export interface SqliteSubscribersOptions {
  db: Database.Database
  readAll: (fromPosition: number, limit: number) => RecordedEvent[]
  /** How often to look for other processes' commits; undefined: never (a database in memory is this process's). */
  pollIntervalMs: number | undefined
  onError: (error: unknown) => void
}

export class SqliteSubscribers {
  private readonly subscribers = new Set<Subscriber>()
  private poll: NodeJS.Timeout | undefined
  private dataVersion = 0

  constructor(private readonly options: SqliteSubscribersOptions) {}

  /** Catch-up runs synchronously here, so no commit can slip between the last old event and the first live one. */
  subscribe(fromPosition: number, handler: EventHandler): Subscription {
    // Read before the catch-up: a commit of another process after it changes the version the poll compares with.
    const version = this.version()
    let position = fromPosition
    for (;;) {
      const batch = this.options.readAll(position, 10_000)
      if (batch.length === 0) break
      handler(batch)
      position = batch[batch.length - 1]!.position
    }
    const subscriber = { handler, position }
    this.subscribers.add(subscriber)
    if (this.options.pollIntervalMs !== undefined && !this.poll) {
      this.dataVersion = version
      this.poll = setInterval(() => this.pollOtherProcesses(), this.options.pollIntervalMs)
      this.poll.unref()
    }
    return { close: () => this.subscribers.delete(subscriber) }
  }

  /** This process's commit, after whatever other processes committed before it. */
  committed(events: RecordedEvent[]): void {
    if (events.length === 0) return
    const before = events[0]!.position - 1
    if ([...this.subscribers].some((subscriber) => subscriber.position < before)) this.deliverStored()
    else this.deliver(events)
  }

  close(): void {
    clearInterval(this.poll)
    this.subscribers.clear()
  }

  /** Hands each subscriber what it has not had of `events` (consecutive, oldest first). */
  private deliver(events: RecordedEvent[]): void {
    for (const subscriber of this.subscribers) {
      const fresh = subscriber.position < events[0]!.position ? events : events.filter((event) => event.position > subscriber.position)
      if (fresh.length === 0) continue
      subscriber.position = fresh[fresh.length - 1]!.position
      try {
        subscriber.handler(fresh)
      } catch (error) {
        this.options.onError(error)
      }
    }
  }

  /** Reads the log from the subscriber furthest behind up to its head, and delivers it. */
  private deliverStored(): void {
    for (;;) {
      const from = Math.min(...[...this.subscribers].map((subscriber) => subscriber.position))
      const batch = this.options.readAll(from, 10_000)
      if (batch.length === 0) return
      this.deliver(batch)
    }
  }

  private pollOtherProcesses(): void {
    const version = this.version()
    if (version === this.dataVersion) return
    this.dataVersion = version
    if (this.subscribers.size > 0) this.deliverStored()
  }

  private version(): number {
    return this.options.db.pragma('data_version', { simple: true }) as number
  }
}
