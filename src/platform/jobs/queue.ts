import type { JobLease } from '../eventlog/port.js'
import type { PendingJob } from './job-set.js'

// The job queue: a table in the event log, filled in the transaction of the event that asks for each job (the
// logs' `jobs` option), emptied by workers that claim jobs from it. Adapters: sqlite-queue.ts, postgres-queue.ts;
// every adapter passes test/platform/jobs/queue-contract.ts.
//
// A claim takes the oldest claimable job: queued, or running under a lease that expired (its worker is gone or
// stuck), and the earliest job of its stream not done yet, so a stream's jobs run one at a time in the order they
// were asked for, whichever worker runs them. It gives the job a fresh lease; every change a worker makes to the
// job afterwards, and every append the job makes (AppendOptions.lease), holds only while that lease does.

/** A job a worker has claimed: what it is, and the lease it holds it with. */
export interface ClaimedJob extends PendingJob {
  arg: string
  lease: JobLease
  /** Claims of this job so far, this one included. */
  attempts: number
  /** How long ago its event asked for it. */
  ageMs: number
}

export interface JobCounts {
  queued: number
  /** Including those whose lease expired: a worker will take them over. */
  running: number
}

export interface JobQueue {
  /** The oldest claimable job, now `worker`'s for `leaseMs`; undefined when none is claimable. */
  claim(worker: string, leaseMs: number): Promise<ClaimedJob | undefined>
  /** Extends the lease by `leaseMs` from now; false when the job no longer holds it (it expired, or was taken over). */
  heartbeat(lease: JobLease, leaseMs: number): Promise<boolean>
  /** Removes a job that is over; nothing if the lease moved on (the new holder finishes it). */
  complete(lease: JobLease): Promise<void>
  /** Queues the job again, claimable at once or after `delayMs`; nothing if the lease moved on. */
  release(lease: JobLease, delayMs?: number): Promise<void>
  /** Queues again what `worker` held when it last ended: a worker restarted under the same name knows its previous
   *  life holds nothing any more, so its jobs need not wait for their leases to expire. */
  releaseHeldBy(worker: string): Promise<void>
  counts(): Promise<JobCounts>
  /** Queues the jobs `find` names if the log held events before it had a job table (they asked for jobs it has no
   *  rows of), once whichever worker asks; the jobs then found by another worker are not queued. */
  seed(find: () => Promise<PendingJob[]>): Promise<void>
}
