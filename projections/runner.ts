import Database from 'better-sqlite3'
import type { EventLog, RecordedEvent, Subscription } from '../src/platform/eventlog/port.js'
import { liveTable, type Projection, type TableName } from './projection.js'

// Applies committed events to the read models. A batch and the checkpoints it advances commit in one
// transaction, so a crash can neither apply an event twice nor skip one.
//
// The checkpoint stored in the database is the truth, not the one in memory: every batch re-reads it inside its
// (immediate) transaction. That is what lets `lod projections rebuild`, in another process, swap freshly built
// tables in under the running service: the swap commits with the checkpoint it reached, and the next batch here
// skips what the new tables already hold. The statements re-prepare themselves against the renamed tables
// (SQLite notices the schema change).

export function openReadModelDb(path: string): Database.Database {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // Read models can always be rebuilt from the log: losing the last commits on power loss costs a short
  // catch-up at the next start, not data.
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.exec(checkpointsDdl)
  return db
}

export const checkpointsDdl = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL) WITHOUT ROWID`

/** Binds every projection to its tables: the returned function applies a batch, skipping what each already has. */
export function bindProjections(db: Database.Database, projections: readonly Projection[], table: TableName = liveTable) {
  const applies = projections.map((projection) => projection.bind(db, table))
  return (events: readonly RecordedEvent[], after: readonly number[]): number[] =>
    applies.map((apply, i) => {
      let position = after[i]!
      for (const event of events) {
        if (event.position <= position) continue
        apply(event)
        position = event.position
      }
      return position
    })
}

export function saveCheckpointStatement(db: Database.Database) {
  return db.prepare<[string, number, number]>(
    'INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position',
  )
}

/** Events are missing between the checkpoint and the batch delivered: they must be read from the log. */
export class EventGapError extends Error {
  constructor(
    readonly projection: string,
    readonly checkpoint: number,
    readonly next: number,
  ) {
    super(`${projection} is at position ${checkpoint} but was given ${next}: catching up from the log`)
    this.name = 'EventGapError'
  }
}

/** Another process left this read model at a version this code does not build: restart with matching code. */
export class ReadModelVersionError extends Error {
  constructor(
    readonly projection: string,
    readonly stored: number | undefined,
    readonly expected: number,
  ) {
    super(`read model ${projection} is at version ${String(stored)}, this code builds version ${expected}`)
    this.name = 'ReadModelVersionError'
  }
}

export interface ProjectionPosition {
  name: string
  version: number
  position: number
}

export interface RunnerOptions {
  /** Told about a batch that failed (it is retried from the log). */
  onError?: (error: unknown) => void
  /** Wait before reading the log again after a failure. */
  retryDelayMs?: number
  /** Events read from the log per batch while catching up. */
  batchSize?: number
}

/** A read waiting for every read model to reach `position`. */
interface Waiter {
  position: number
  settle(reached: boolean): void
}

export class ProjectionRunner {
  private readonly applyBatch: (events: readonly RecordedEvent[], checkGaps: boolean) => number
  private readonly stored: Database.Statement<[string], { version: number; position: number }>
  private readonly saveCheckpoint: Database.Statement<[string, number, number]>
  private readonly onError: (error: unknown) => void
  private readonly retryDelayMs: number
  private readonly batchSize: number
  /** Catching up from the log after a failed or incomplete delivery: deliveries are left to the catch-up. */
  private recovering = false
  private failure: unknown = undefined
  /** The slowest read model's position after the last batch this runner applied: what a read may rely on
   *  without asking the database. */
  private applied: number
  /** The newest position the log has delivered to this runner, applied or not. */
  private heard = 0
  private readonly waiters = new Set<Waiter>()

  constructor(
    readonly db: Database.Database,
    readonly projections: readonly Projection[],
    options: RunnerOptions = {},
  ) {
    this.onError = options.onError ?? ((error) => console.error('projection batch failed', error))
    this.retryDelayMs = options.retryDelayMs ?? 200
    this.batchSize = options.batchSize ?? 10_000
    this.saveCheckpoint = saveCheckpointStatement(db)
    this.stored = db.prepare('SELECT version, position FROM projection_checkpoints WHERE name = ?')
    for (const projection of projections) {
      if (this.stored.get(projection.name)?.version !== projection.version) this.reset(projection)
      else db.exec(projection.ddl(liveTable))
    }
    this.applied = this.position()
    const apply = bindProjections(db, projections)
    this.applyBatch = db.transaction((events: readonly RecordedEvent[], checkGaps: boolean): number => {
      const after = projections.map((projection) => {
        const stored = this.stored.get(projection.name)
        if (stored?.version !== projection.version)
          throw new ReadModelVersionError(projection.name, stored?.version, projection.version)
        const next = events.find((event) => event.position > stored.position)
        if (checkGaps && next && next.position !== stored.position + 1)
          throw new EventGapError(projection.name, stored.position, next.position)
        return stored.position
      })
      const reached = apply(events, after)
      projections.forEach((projection, i) => {
        if (reached[i] !== after[i]) this.saveCheckpoint.run(projection.name, projection.version, reached[i]!)
      })
      return Math.min(...reached)
    }).immediate
  }

  /** Drops a read model's tables and starts it again from the beginning of the log. */
  private reset(projection: Projection): void {
    this.db.transaction(() => {
      for (const table of projection.tables) this.db.exec(`DROP TABLE IF EXISTS "${table}"`)
      this.db.exec(projection.ddl(liveTable))
      this.saveCheckpoint.run(projection.name, projection.version, 0)
    })()
  }

  /** Where each read model stands, as stored (a rebuild in another process moves it). */
  positions(): ProjectionPosition[] {
    return this.projections.map((projection) => ({
      name: projection.name,
      version: projection.version,
      position: this.stored.get(projection.name)?.position ?? 0,
    }))
  }

  /** The position every read model has reached. */
  position(): number {
    return Math.min(...this.positions().map((p) => p.position))
  }

  /** False while catching up after a failure, or when the stored read models do not match this code. */
  healthy(): boolean {
    return !this.recovering && this.failure === undefined
  }

  /** Applies a batch in position order. With `checkGaps`, refuses a batch that does not follow the checkpoint. */
  apply(events: readonly RecordedEvent[], { checkGaps = false } = {}): void {
    if (events.length > 0) this.advance(this.applyBatch(events, checkGaps))
  }

  /** The position every read model had reached after the last batch this runner applied. */
  appliedPosition(): number {
    return this.applied
  }

  /** The log's head as far as this runner has heard of it, whether or not its read models could apply it. */
  heardPosition(): number {
    return Math.max(this.heard, this.applied)
  }

  /** Resolves true once every read model has reached `position` (when a batch takes it there), false after
   *  `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    // A rebuild in another process may have moved the stored checkpoints past what this runner applied.
    if (position > this.applied) this.advance(this.position())
    if (position <= this.applied) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.settle(false), timeoutMs)
      const waiter: Waiter = {
        position,
        settle: (reached) => {
          clearTimeout(timer)
          this.waiters.delete(waiter)
          resolve(reached)
        },
      }
      this.waiters.add(waiter)
    })
  }

  private advance(position: number): void {
    if (position <= this.applied) return
    this.applied = position
    for (const waiter of this.waiters) if (waiter.position <= position) waiter.settle(true)
  }

  /** Catches up with the log, then follows it; a failed or incomplete delivery is made good from the log. */
  follow(log: EventLog): Subscription {
    let closed = false
    let retry: NodeJS.Timeout | undefined
    const catchUp = async () => {
      try {
        for (;;) {
          const batch = await log.readAll(this.position(), this.batchSize)
          if (closed) return
          if (batch.length === 0) break
          this.apply(batch)
        }
        this.recovering = false
        this.failure = undefined
      } catch (error) {
        this.failure = error
        this.onError(error)
        if (!closed && !(error instanceof ReadModelVersionError)) retry = setTimeout(() => void catchUp(), this.retryDelayMs)
      }
    }
    const subscription = log.subscribe(this.position(), (events) => {
      this.heard = Math.max(this.heard, events.at(-1)?.position ?? 0)
      if (this.recovering || closed) return
      try {
        this.apply(events, { checkGaps: true })
      } catch (error) {
        if (!(error instanceof EventGapError)) this.onError(error)
        this.recovering = true
        void catchUp()
      }
    })
    return {
      close() {
        closed = true
        clearTimeout(retry)
        subscription.close()
      },
    }
  }
}
