import { randomUUID } from 'node:crypto'
import type { JobLease } from '../eventlog/port.js'
import type { PostgresEventLog } from '../eventlog/postgres.js'
import { inTransaction } from '../eventlog/postgres-transaction.js'
import type { PendingJob } from './job-set.js'
import type { ClaimedJob, JobCounts, JobQueue } from './queue.js'

// The job queue of the PostgreSQL log: its jobs table (src/platform/eventlog/postgres-jobs-schema.ts), on the log's
// connections, shared by every node. A claim is one statement: the row it takes is locked FOR UPDATE, and rows
// other claims have locked are skipped (SKIP LOCKED), so claims at once on several nodes never wait for each other
// nor take the same job. Leases are times of the database's clock: the nodes' clocks never matter.

const ms = "* interval '1 millisecond'"

const claimNext = `
WITH next AS (
  SELECT j.id FROM jobs j
  WHERE (j.lease_until IS NULL OR j.lease_until <= now())
    AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.stream_id = j.stream_id AND e.id < j.id)
  ORDER BY j.id LIMIT 1
  FOR UPDATE SKIP LOCKED
)
UPDATE jobs j SET state = 'running', worker = $1, lease_token = $2, lease_until = now() + $3 ${ms}, attempts = j.attempts + 1
FROM next WHERE j.id = next.id
RETURNING j.id, j.stream_id, j.kind, j.arg, j.attempts, (extract(epoch FROM now() - j.created_at) * 1000)::float8 AS age_ms`

interface ClaimedRow {
  id: number
  stream_id: string
  kind: string
  arg: string
  attempts: number
  age_ms: number
}

export class PostgresJobQueue implements JobQueue {
  constructor(private readonly log: PostgresEventLog) {}

  private async run(name: string, text: string, values: unknown[] = []): Promise<number> {
    return (await this.log.primary.query({ name, text, values })).rowCount ?? 0
  }

  async claim(worker: string, leaseMs: number): Promise<ClaimedJob | undefined> {
    const token = randomUUID()
    const { rows } = await this.log.primary.query<ClaimedRow>({ name: 'lod-claim-job', text: claimNext, values: [worker, token, leaseMs] })
    const row = rows[0]
    return row && { id: row.stream_id, kind: row.kind, arg: row.arg, lease: { job: row.id, token }, attempts: row.attempts, ageMs: row.age_ms }
  }

  async heartbeat(lease: JobLease, leaseMs: number): Promise<boolean> {
    const text = `UPDATE jobs SET lease_until = now() + $3 ${ms} WHERE id = $1 AND lease_token = $2 AND lease_until > now()`
    return (await this.run('lod-heartbeat-job', text, [lease.job, lease.token, leaseMs])) === 1
  }

  async complete(lease: JobLease): Promise<void> {
    await this.run('lod-complete-job', 'DELETE FROM jobs WHERE id = $1 AND lease_token = $2', [lease.job, lease.token])
  }

  async release(lease: JobLease, delayMs = 0): Promise<void> {
    const text = `UPDATE jobs SET state = 'queued', worker = NULL, lease_token = NULL,
      lease_until = CASE WHEN $3 > 0 THEN now() + $3 ${ms} END WHERE id = $1 AND lease_token = $2`
    await this.run('lod-release-job', text, [lease.job, lease.token, delayMs])
  }

  async releaseHeldBy(worker: string): Promise<void> {
    const text = "UPDATE jobs SET state = 'queued', worker = NULL, lease_token = NULL, lease_until = NULL WHERE worker = $1"
    await this.run('lod-release-jobs-of', text, [worker])
  }

  async counts(): Promise<JobCounts> {
    const { rows } = await this.log.primary.query<{ state: keyof JobCounts; n: number }>({
      name: 'lod-count-jobs',
      text: 'SELECT state, count(*)::integer AS n FROM jobs GROUP BY state',
    })
    const counts = { queued: 0, running: 0 }
    for (const { state, n } of rows) counts[state] = n
    return counts
  }

  async seed(find: () => Promise<PendingJob[]>): Promise<void> {
    if ((await this.run('lod-jobs-unseeded', 'SELECT 1 FROM jobs_unseeded')) === 0) return
    const found = await find()
    await inTransaction(await this.log.primary.pool(), async (client) => {
      if (((await client.query('DELETE FROM jobs_unseeded')).rowCount ?? 0) === 0) return
      await client.query(
        `INSERT INTO jobs (stream_id, kind, arg)
         SELECT id, kind, arg FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS found(id, kind, arg, n) ORDER BY n`,
        [found.map((job) => job.id), found.map((job) => job.kind), found.map((job) => job.arg ?? '')],
      )
    })
  }
}
