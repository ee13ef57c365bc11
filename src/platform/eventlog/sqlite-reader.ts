import Database from 'better-sqlite3'
import type { EventMetadata, RecordedEvent } from './port.js'
import { unversioned, type EventVersions } from './upcast.js'

// Reads the SQLite event log file of a service from another process (the operator's tools): read-only, so it
// never takes the writer's lock, and fast, because a replay reads a million events. An event's data and
// metadata are parsed (and upcast) only when something looks at them: a read model that ignores a type
// pays nothing for its events.

type Row = [position: number, stream: string, version: number, type: string, typeVersion: number, data: string, id: string, metadata: string, time: string]
type Details = { event_id: string; metadata: string; time: string }

const columns = 'position, stream, version, type, type_version, data, event_id, metadata, time'
/** What read models need; the rest is read only if a projection asks for it. */
const projectionColumns = 'position, stream, version, type, type_version, data'

/** A stored event whose data and metadata are decoded on first use. */
export class StoredEvent implements RecordedEvent {
  private decodedData: unknown = undefined
  private decodedMetadata: EventMetadata | undefined = undefined

  constructor(
    readonly position: number,
    readonly stream: string,
    readonly version: number,
    readonly type: string,
    /** The version of its type it was written with (see typeVersion for the version its data has now). */
    readonly storedVersion: number,
    readonly rawData: string,
    private details: Details | undefined,
    private readonly versions: EventVersions,
    private readonly loadDetails: (position: number) => Details,
  ) {}

  get typeVersion(): number {
    return Math.max(this.storedVersion, this.versions.current(this.type))
  }

  get data(): unknown {
    if (this.decodedData === undefined) {
      const stored: unknown = JSON.parse(this.rawData)
      this.decodedData =
        this.storedVersion < this.versions.current(this.type) ? this.versions.upcast(this.type, this.storedVersion, stored) : stored
    }
    return this.decodedData
  }

  matchStoredData(pattern: RegExp): RegExpExecArray | null {
    return this.storedVersion < this.versions.current(this.type) ? null : pattern.exec(this.rawData)
  }

  private get stored(): Details {
    return (this.details ??= this.loadDetails(this.position))
  }

  get id(): string {
    return this.stored.event_id
  }

  get time(): string {
    return this.stored.time
  }

  get metadata(): EventMetadata {
    return (this.decodedMetadata ??= JSON.parse(this.stored.metadata) as EventMetadata)
  }
}

/** One of `of` shares of the log's streams: every event of a stream is in the same one. */
export interface StreamPartition {
  index: number
  of: number
}

export interface EventFilter {
  /** Only these types (any when empty). */
  types?: readonly string[]
  /** Only these streams (any when empty). */
  streams?: readonly string[]
}

export class SqliteEventReader {
  readonly db: Database.Database
  readonly versions: EventVersions
  private readonly stmt: {
    head: Database.Statement<[], { p: number | null }>
    range: Database.Statement<[number, number, number], Row>
    projectionRange: Database.Statement<[number, number, number], Row>
    details: Database.Statement<[number], Details>
    stream: Database.Statement<[string], Row>
    firstAfter: Database.Statement<[string], { p: number }>
  }

  constructor(path: string, versions: EventVersions = unversioned) {
    this.db = new Database(path, { readonly: true, fileMustExist: true })
    this.db.pragma('busy_timeout = 5000')
    this.versions = versions
    this.stmt = {
      head: this.db.prepare('SELECT max(position) AS p FROM events'),
      range: this.db.prepare<[number, number, number], Row>(
        `SELECT ${columns} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
      ).raw(true),
      projectionRange: this.db.prepare<[number, number, number], Row>(
        `SELECT ${projectionColumns} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
      ).raw(true),
      details: this.db.prepare('SELECT event_id, metadata, time FROM events WHERE position = ?'),
      stream: this.db.prepare<[string], Row>(`SELECT ${columns} FROM events WHERE stream = ? ORDER BY version`).raw(true),
      firstAfter: this.db.prepare('SELECT position AS p FROM events WHERE time > ? ORDER BY position LIMIT 1'),
    }
  }

  private readonly loadDetails = (position: number): Details => {
    const details = this.stmt.details.get(position)
    if (!details) throw new Error(`event #${position} is gone from the log`)
    return details
  }

  private event(row: Row): StoredEvent {
    const details = row.length > 6 ? { event_id: row[6], metadata: row[7], time: row[8] } : undefined
    return new StoredEvent(row[0], row[1], row[2], row[3], row[4], row[5], details, this.versions, this.loadDetails)
  }

  /** The position of the newest event, 0 for an empty log. */
  head(): number {
    return this.stmt.head.get()?.p ?? 0
  }

  /** The log as it stood at `time`: the position before the first event committed after it. Commit times follow
   *  positions, so this is a state the log really was in, even if the clock stepped back once. */
  positionAt(time: Date): number {
    const after = this.stmt.firstAfter.get(time.toISOString())
    return after ? after.p - 1 : this.head()
  }

  /** Events with fromPosition < position <= toPosition, oldest first, at most `limit`. */
  range(fromPosition: number, toPosition: number, limit: number): StoredEvent[] {
    return this.stmt.range.all(fromPosition, toPosition, limit).map((row) => this.event(row))
  }

  /** As `range`, reading only what read models use: an event's id, metadata and time are read if asked for. */
  projectionRange(fromPosition: number, toPosition: number, limit: number): StoredEvent[] {
    const events: StoredEvent[] = []
    for (const row of this.stmt.projectionRange.iterate(fromPosition, toPosition, limit)) events.push(this.event(row))
    return events
  }

  /** As `projectionRange`, one event at a time and without keeping them: a rebuild's events then die young,
   *  which spares the garbage collector most of its work. Only the events of the partition's streams (the
   *  partitions of one count share out every stream) and of the given types, when given: the others are passed
   *  over by SQLite, never decoded. Returns the position of the last event visited (`fromPosition` if none). */
  eachForProjections(
    fromPosition: number,
    toPosition: number,
    limit: number,
    visit: (event: StoredEvent) => void,
    only: { partition?: StreamPartition | undefined; types?: readonly string[] | undefined } = {},
  ): number {
    const { partition, types } = only
    const params: Array<string | number> = [fromPosition, toPosition]
    if (partition) params.push(partition.of, partition.index)
    if (types) params.push(...types)
    let position = fromPosition
    for (const row of this.selection(partition !== undefined, types?.length).iterate(...params, limit)) {
      visit(this.event(row))
      position = row[0]
    }
    return position
  }

  private readonly selections = new Map<string, Database.Statement<Array<string | number>, Row>>()

  private selection(partitioned: boolean, types: number | undefined): Database.Statement<Array<string | number>, Row> {
    const key = `${partitioned}:${types ?? ''}`
    let statement = this.selections.get(key)
    if (!statement) {
      // A stream's partition: the last character of its id, which for a UUID is as good as a hash.
      const where = [
        'position > ? AND position <= ?',
        ...(partitioned ? ['unicode(substr(stream, -1)) % ? = ?'] : []),
        ...(types !== undefined ? [`type IN (${Array.from({ length: types }, () => '?').join(', ') || 'NULL'})`] : []),
      ]
      statement = this.db
        .prepare<Array<string | number>, Row>(`SELECT ${projectionColumns} FROM events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`)
        .raw(true)
      this.selections.set(key, statement)
    }
    return statement
  }

  stream(stream: string): StoredEvent[] {
    return this.stmt.stream.all(stream).map((row) => this.event(row))
  }

  /** Events with fromPosition < position <= toPosition that pass the filter, oldest first, at most `limit`. */
  select(fromPosition: number, toPosition: number, limit: number, filter: EventFilter = {}): StoredEvent[] {
    const { sql, params } = whereOf(filter)
    return this.db
      .prepare<unknown[], Row>(`SELECT ${columns} FROM events WHERE position > ? AND position <= ?${sql} ORDER BY position LIMIT ?`)
      .raw(true)
      .all(fromPosition, toPosition, ...params, limit)
      .map((row) => this.event(row))
  }

  /** The last `count` events up to `toPosition` that pass the filter, oldest first. */
  last(count: number, toPosition: number, filter: EventFilter = {}): StoredEvent[] {
    const { sql, params } = whereOf(filter)
    return this.db
      .prepare<unknown[], Row>(`SELECT ${columns} FROM events WHERE position <= ?${sql} ORDER BY position DESC LIMIT ?`)
      .raw(true)
      .all(toPosition, ...params, count)
      .map((row) => this.event(row))
      .reverse()
  }

  close(): void {
    this.db.close()
  }
}

function whereOf(filter: EventFilter): { sql: string; params: string[] } {
  let sql = ''
  const params: string[] = []
  for (const [column, values] of [
    ['type', filter.types],
    ['stream', filter.streams],
  ] as const) {
    if (!values || values.length === 0) continue
    sql += ` AND ${column} IN (${values.map(() => '?').join(', ')})`
    params.push(...values)
  }
  return { sql, params }
}
