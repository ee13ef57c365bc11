import { randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { JobLease } from '../eventlog/port.js'
import type { SqliteEventLog } from '../eventlog/sqlite.js'
import type { PendingJob } from './job-set.js'
import type { ClaimedJob, JobCounts, JobQueue } from './queue.js'

// The job queue of the SQLite log: its jobs table in events.db (src/platform/eventlog/sqlite-jobs.ts), on the
// log's own connection. Each change is one immediate transaction, so workers in other processes on the same file
// take turns with this one and with the log's commits.

interface JobRow {
  id: number
  stream_id: string
  kind: string
  arg: string
  attempts: number
  created_at: number
}

export class SqliteJobQueue implements JobQueue {
  private readonly db: Database.Database
  private readonly stmt: {
    next: Database.Statement<[number], JobRow>
    take: Database.Statement<[string, string, number, number]>
    extend: Database.Statement<[number, number, string, number]>
    remove: Database.Statement<[number, string]>
    requeue: Database.Statement<[number | null, number, string]>
    requeueOf: Database.Statement<[string]>
    counts: Database.Statement<[], { state: keyof JobCounts; n: number }>
    unseeded: Database.Statement<[], { pending: number }>
    seeded: Database.Statement<[]>
    insert: Database.Statement<[string, string, string, number]>
  }

  constructor(log: SqliteEventLog) {
    this.db = log.db
    this.stmt = {
      // The earliest job of its stream, holding no unexpired lease (a running job's, or a delay's).
      next: this.db.prepare(`
        SELECT id, stream_id, kind, arg, attempts, created_at FROM jobs j
        WHERE (j.lease_until IS NULL OR j.lease_until <= ?)
          AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.stream_id = j.stream_id AND e.id < j.id)
        ORDER BY j.id LIMIT 1`),
      take: this.db.prepare(
        "UPDATE jobs SET state = 'running', worker = ?, lease_token = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?",
      ),
      extend: this.db.prepare('UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_token = ? AND lease_until > ?'),
      remove: this.db.prepare('DELETE FROM jobs WHERE id = ? AND lease_token = ?'),
      requeue: this.db.prepare(
        "UPDATE jobs SET state = 'queued', worker = NULL, lease_token = NULL, lease_until = ? WHERE id = ? AND lease_token = ?",
      ),
      requeueOf: this.db.prepare("UPDATE jobs SET state = 'queued', worker = NULL, lease_token = NULL, lease_until = NULL WHERE worker = ?"),
      counts: this.db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state'),
      unseeded: this.db.prepare('SELECT pending FROM jobs_unseeded'),
      seeded: this.db.prepare('DELETE FROM jobs_unseeded'),
      insert: this.db.prepare('INSERT INTO jobs (stream_id, kind, arg, created_at) VALUES (?, ?, ?, ?)'),
    }
  }

  async claim(worker: string, leaseMs: number): Promise<ClaimedJob | undefined> {
    // Looked for outside a write transaction first: most looks find nothing, and need no lock.
    if (!this.stmt.next.get(Date.now())) return undefined
    return this.db
      .transaction(() => {
        const now = Date.now()
        const row = this.stmt.next.get(now)
        if (!row) return undefined
        const lease = { job: row.id, token: randomUUID() }
        this.stmt.take.run(worker, lease.token, now + leaseMs, row.id)
        return { id: row.stream_id, kind: row.kind, arg: row.arg, lease, attempts: row.attempts + 1, ageMs: now - row.created_at }
      })
      .immediate()
  }

  async heartbeat(lease: JobLease, leaseMs: number): Promise<boolean> {
    const now = Date.now()
    return this.stmt.extend.run(now + leaseMs, lease.job, lease.token, now).changes === 1
  }

  async complete(lease: JobLease): Promise<void> {
    this.stmt.remove.run(lease.job, lease.token)
  }

  async release(lease: JobLease, delayMs = 0): Promise<void> {
    this.stmt.requeue.run(delayMs > 0 ? Date.now() + delayMs : null, lease.job, lease.token)
  }

  async releaseHeldBy(worker: string): Promise<void> {
    this.stmt.requeueOf.run(worker)
  }

  async counts(): Promise<JobCounts> {
    const counts = { queued: 0, running: 0 }
    for (const { state, n } of this.stmt.counts.all()) counts[state] = n
    return counts
  }

  async seed(find: () => Promise<PendingJob[]>): Promise<void> {
    if (!this.stmt.unseeded.get()) return
    const found = await find()
    this.db
      .transaction(() => {
        if (this.stmt.seeded.run().changes === 0) return
        const now = Date.now()
        for (const job of found) this.stmt.insert.run(job.id, job.kind, job.arg ?? '', now)
      })
      .immediate()
  }
}
