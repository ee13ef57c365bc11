import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventRow } from './recorded.js'
import { SqliteEventLog } from './sqlite.js'
import { SqliteEventReader } from './sqlite-reader.js'
import type { EventVersions } from './upcast.js'

// A log kept elsewhere (the PostgreSQL one) copied, row for row as stored, into a SQLite log file of its own, for
// the tools that read a whole log from a file: a replay, `lod verify`, a rebuild (projections/). They fill read
// models in synchronous batches, and their threads open the file by its path; so they read the copy as they read
// the embedded log's file, and the copy is brought up to the other log's head whenever they look at the head. It
// lives in a private temp directory, removed when it is closed.

/** The log copied: its head, and its rows as stored. */
export interface CopiedLog {
  head(): Promise<number>
  rows(after: number, upTo: number, limit: number): Promise<EventRow[]>
}

export interface CopyOptions {
  /** Where the copy's temp directory is made (default: the system's). */
  dir?: string
  /** Stops a catch-up between two pages. */
  signal?: AbortSignal
  onProgress?: (copied: number, target: number) => void
}

const pageSize = 10_000

export class SqliteLogCopy {
  readonly reader: SqliteEventReader
  private copied = 0
  private readonly insert: (rows: readonly EventRow[]) => void

  private constructor(
    private readonly source: CopiedLog,
    private readonly dir: string,
    private readonly file: SqliteEventLog,
    versions: EventVersions,
    private readonly options: CopyOptions,
  ) {
    // Thrown away when done: nothing to make durable.
    file.db.pragma('synchronous = OFF')
    const row = file.db.prepare<[number, string, string, number, string, number, string, string, string]>(
      'INSERT INTO events (position, event_id, stream, version, type, type_version, data, metadata, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.insert = file.db.transaction((rows: readonly EventRow[]) => {
      for (const r of rows) row.run(r.position, r.event_id, r.stream, r.version, r.type, r.type_version, r.data, r.metadata, r.time)
    })
    this.reader = new SqliteEventReader(join(dir, 'events.db'), versions)
  }

  /** An empty copy of `source`: catchUp fills it. */
  static create(source: CopiedLog, versions: EventVersions, options: CopyOptions = {}): SqliteLogCopy {
    const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'lod-log-copy-'))
    try {
      // The embedded log's own layout, which the reader reads.
      const file = new SqliteEventLog({ path: join(dir, 'events.db'), synchronous: 'normal' })
      return new SqliteLogCopy(source, dir, file, versions, options)
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
  }

  /** Copies what the log holds up to `upTo` (default: its head) that the copy lacks; returns the copy's head. */
  async catchUp(upTo = Number.POSITIVE_INFINITY): Promise<number> {
    const target = Math.min(upTo, await this.source.head())
    while (this.copied < target) {
      this.options.signal?.throwIfAborted()
      const rows = await this.source.rows(this.copied, target, pageSize)
      // Positions have no holes: up to the head, every one is there.
      if (rows.length === 0) throw new Error(`the log holds no event after position ${this.copied}, yet its head is ${target}`)
      this.insert(rows)
      this.copied = rows[rows.length - 1]!.position
      this.options.onProgress?.(this.copied, target)
    }
    return this.copied
  }

  async close(): Promise<void> {
    this.reader.close()
    await this.file.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
