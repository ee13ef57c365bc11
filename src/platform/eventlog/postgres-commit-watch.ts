import type pg from 'pg'
import { commitChannel } from './postgres-schema.js'

// Tells a PostgreSQL log's subscribers that the head moved, whoever committed. A LISTEN on a connection of its own
// wakes them within milliseconds; but notifications are lost while that connection is down (and a standby refuses
// LISTEN), so the head row is also polled, and the connection is opened again at the next poll after it failed:
// to the new primary, after a failover.

export interface CommitWatchOptions {
  /** A new connection to the primary. */
  connect: () => Promise<pg.Client>
  pollIntervalMs: number
  readHead: () => Promise<number>
  onHead: (head: number) => void
  onError: (error: unknown) => void
}

export class CommitWatch {
  private listener: pg.Client | undefined
  private timer: NodeJS.Timeout | undefined
  private polling = false
  private connecting = false
  private stopped = false

  constructor(private readonly options: CommitWatchOptions) {}

  start(): void {
    if (this.timer || this.stopped) return
    this.timer = setInterval(() => void this.poll(), this.options.pollIntervalMs)
    this.timer.unref()
    void this.listen()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    const listener = this.listener
    this.listener = undefined
    await listener?.end().catch(() => undefined)
  }

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      void this.listen()
      const head = await this.options.readHead()
      if (!this.stopped) this.options.onHead(head)
    } catch (error) {
      if (!this.stopped) this.options.onError(error)
    } finally {
      this.polling = false
    }
  }

  private async listen(): Promise<void> {
    if (this.listener || this.connecting || this.stopped) return
    this.connecting = true
    let client: pg.Client
    try {
      client = await this.options.connect()
    } catch (error) {
      if (!this.stopped) this.options.onError(error)
      return
    } finally {
      this.connecting = false
    }
    if (this.stopped) return void client.end().catch(() => undefined)
    this.listener = client
    const drop = (error?: unknown) => {
      if (this.listener !== client) return
      this.listener = undefined
      if (error !== undefined && !this.stopped) this.options.onError(error)
      void client.end().catch(() => undefined)
    }
    client.on('notification', (message) => {
      if (!this.stopped) this.options.onHead(Number(message.payload))
    })
    client.on('error', drop)
    client.on('end', () => drop())
    try {
      await client.query(`LISTEN ${commitChannel}`)
    } catch (error) {
      drop(error)
    }
  }
}
