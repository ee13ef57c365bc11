import type { EventHandler, RecordedEvent } from './port.js'

// A subscriber of the PostgreSQL log. Its events come two ways: this process's commits are handed to it as they
// happen, and it reads from the log what it was not handed (its catch-up, other processes' commits when it is
// woken, whatever a failed read left out). Both may bring the same events, in any interleaving: it delivers only
// what follows the position it has delivered up to, so each event reaches the handler once and in order. What it
// reads is a prefix of the log from that position on (positions have no holes), so what follows it always does.

const pageSize = 1000

export class PostgresSubscriber {
  private delivered: number
  private reading: Promise<void> | undefined
  private readAgain = false
  private closed = false

  constructor(
    fromPosition: number,
    private readonly handler: EventHandler,
    private readonly read: (fromPosition: number, limit: number) => Promise<RecordedEvent[]>,
    private readonly onError: { handler: (error: unknown) => void; read: (error: unknown) => void },
  ) {
    this.delivered = fromPosition
  }

  /** The position of the last event delivered. */
  get position(): number {
    return this.delivered
  }

  /** Events just committed by this process, consecutive and oldest first. */
  offer(events: readonly RecordedEvent[]): void {
    if (this.closed) return
    const fresh = events.filter((event) => event.position > this.delivered)
    if (fresh.length === 0) return
    if (fresh[0]!.position === this.delivered + 1) this.deliver(fresh)
    else void this.catchUp()
  }

  /** Resolves once the events up to `position` are delivered, or reading them failed (the next wake-up retries). */
  async reach(position: number): Promise<void> {
    if (this.delivered < position) await this.catchUp()
  }

  /** Reads the log from the delivered position to its head; a call during a read makes it read on once more. */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.readAgain = true
    return (this.reading ??= this.readWhileAsked())
  }

  close(): void {
    this.closed = true
  }

  private async readWhileAsked(): Promise<void> {
    try {
      while (this.readAgain && !this.closed) {
        this.readAgain = false
        let page: RecordedEvent[]
        do {
          page = await this.read(this.delivered, pageSize)
          if (this.closed) return
          const fresh = page.filter((event) => event.position > this.delivered)
          if (fresh.length > 0) this.deliver(fresh)
        } while (page.length === pageSize)
      }
    } catch (error) {
      if (!this.closed) this.onError.read(error)
    } finally {
      // Cleared in the turn the last check ran: a catch-up asked for after it starts a read of its own.
      this.reading = undefined
    }
  }

  private deliver(events: RecordedEvent[]): void {
    this.delivered = events[events.length - 1]!.position
    try {
      this.handler(events)
    } catch (error) {
      this.onError.handler(error)
    }
  }
}
