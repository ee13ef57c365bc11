import Database from 'better-sqlite3'
import type { EventLog, RecordedEvent, Subscription } from '../src/eventlog/port.js'
import { liveTable, type Projection } from './projection.js'

// Applies committed events to the read models. A batch and the checkpoints it advances commit in one
// transaction, so a crash can neither apply an event twice nor skip one.

export function openReadModelDb(path: string): Database.Database {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // Read models can always be rebuilt from the log: losing the last commits on power loss costs a short
  // catch-up at the next start, not data.
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL) WITHOUT ROWID`)
  return db
}

interface Bound {
  projection: Projection
  apply: (event: RecordedEvent) => void
  position: number
}

export class ProjectionRunner {
  private readonly bound: Bound[]
  private readonly applyBatch: (events: RecordedEvent[]) => void
  private readonly saveCheckpoint: Database.Statement<[string, number, number]>

  constructor(
    readonly db: Database.Database,
    readonly projections: readonly Projection[],
  ) {
    this.saveCheckpoint = db.prepare(
      'INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position',
    )
    const stored = db.prepare<[string], { version: number; position: number }>(
      'SELECT version, position FROM projection_checkpoints WHERE name = ?',
    )
    this.bound = projections.map((projection) => {
      const checkpoint = stored.get(projection.name)
      if (!checkpoint || checkpoint.version !== projection.version) this.reset(projection)
      else db.exec(projection.ddl(liveTable))
      return { projection, apply: projection.bind(db, liveTable), position: checkpoint?.version === projection.version ? checkpoint.position : 0 }
    })
    this.applyBatch = db.transaction((events: RecordedEvent[]) => {
      for (const target of this.bound) {
        let applied = false
        for (const event of events) {
          if (event.position <= target.position) continue
          target.apply(event)
          target.position = event.position
          applied = true
        }
        if (applied) this.saveCheckpoint.run(target.projection.name, target.projection.version, target.position)
      }
    })
  }

  /** Drops a read model's tables and starts it again from the beginning of the log. */
  private reset(projection: Projection): void {
    this.db.transaction(() => {
      for (const table of projection.tables) this.db.exec(`DROP TABLE IF EXISTS "${table}"`)
      this.db.exec(projection.ddl(liveTable))
      this.saveCheckpoint.run(projection.name, projection.version, 0)
    })()
  }

  /** The position every read model has reached. */
  position(): number {
    return Math.min(...this.bound.map((b) => b.position))
  }

  apply(events: RecordedEvent[]): void {
    if (events.length === 0) return
    const positions = this.bound.map((b) => b.position)
    try {
      this.applyBatch(events)
    } catch (error) {
      // The transaction rolled back: so must our in-memory positions.
      this.bound.forEach((b, i) => (b.position = positions[i]!))
      throw error
    }
  }

  /** Catches up with the log, then follows it. */
  follow(log: EventLog): Subscription {
    return log.subscribe(this.position(), (events) => this.apply(events))
  }
}
