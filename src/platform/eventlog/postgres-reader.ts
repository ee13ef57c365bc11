import type { RecordedEvent } from './port.js'
import type { PostgresPrimary } from './postgres-primary.js'
import { eventColumns } from './postgres.js'
import { toRecorded, type EventRow } from './recorded.js'
import type { EventFilter } from './sqlite-reader.js'
import { unversioned, type EventVersions } from './upcast.js'

// What the operator's tools read of the PostgreSQL log beyond the port, through the log's connections to its
// primary: the rows as stored (the local copy a whole-log tool reads, sqlite-copy.ts), and the last events that
// pass a filter (`lod events tail`), as SqliteEventReader reads them from the SQLite file.

export class PostgresEventReader {
  constructor(
    private readonly primary: PostgresPrimary,
    private readonly versions: EventVersions = unversioned,
  ) {}

  /** The rows with after < position <= upTo, oldest first, at most `limit`, as stored: data and metadata as their
   *  JSON text, each event in the version of its type it was written with. */
  async rows(after: number, upTo: number, limit: number): Promise<EventRow[]> {
    const { rows } = await this.primary.query<EventRow>({
      name: 'lod-read-rows',
      text: `SELECT ${eventColumns} FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
      values: [after, upTo, limit],
    })
    return rows
  }

  /** The last `count` events up to `toPosition` that pass the filter, oldest first. */
  async last(count: number, toPosition: number, filter: EventFilter = {}): Promise<RecordedEvent[]> {
    const where = ['position <= $1']
    const values: unknown[] = [toPosition]
    for (const [column, only] of [
      ['type', filter.types],
      ['stream', filter.streams],
    ] as const) {
      if (!only || only.length === 0) continue
      values.push(only)
      where.push(`${column} = ANY($${values.length})`)
    }
    values.push(count)
    const { rows } = await this.primary.query<EventRow>({
      text: `SELECT ${eventColumns} FROM events WHERE ${where.join(' AND ')} ORDER BY position DESC LIMIT $${values.length}`,
      values,
    })
    return rows.reverse().map((row) => toRecorded(row, this.versions))
  }
}
