import type Database from 'better-sqlite3'
import type { AskedJobRow, JobLease } from './port.js'

// The job queue's table in events.db, as the log writes it: the jobs that appended events ask for, written in the
// append's transaction, and the leases checked there. src/platform/jobs/sqlite-queue.ts claims the jobs.
//
// A job is claimable while it holds no unexpired lease: a queued job has none (or a delay, a lease nobody holds),
// a running one has its worker's; times are milliseconds since the epoch, of this machine's clock (every process
// on one SQLite file runs on this machine).

/** Adds the jobs table. A log that holds events already gets no job rows for them: `jobs_unseeded` marks that the
 *  jobs they left undone are still to be looked for (once, by the first runner that starts). */
export function addJobs(db: Database.Database): void {
  db.exec(`
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  arg         TEXT NOT NULL,
  position    INTEGER,
  state       TEXT NOT NULL DEFAULT 'queued',
  worker      TEXT,
  lease_token TEXT,
  lease_until INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE INDEX jobs_of_stream ON jobs (stream_id, id);
CREATE INDEX jobs_of_worker ON jobs (worker);
CREATE TABLE jobs_unseeded (pending INTEGER NOT NULL);
INSERT INTO jobs_unseeded (pending) SELECT 1 WHERE EXISTS (SELECT 1 FROM events);
`)
}

/** The log's statements on the jobs table, run inside its append transactions. */
export class JobRows {
  private readonly insert: Database.Statement<[string, string, string, number, number]>
  private readonly held: Database.Statement<[number, string, number], { id: number }>

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO jobs (stream_id, kind, arg, position, created_at) VALUES (?, ?, ?, ?, ?)')
    this.held = db.prepare('SELECT id FROM jobs WHERE id = ? AND lease_token = ? AND lease_until > ?')
  }

  add(job: AskedJobRow, position: number, now: number): void {
    this.insert.run(job.id, job.kind, job.arg ?? '', position, now)
  }

  holds(lease: JobLease, now: number): boolean {
    return this.held.get(lease.job, lease.token, now) !== undefined
  }
}
