import type { Test } from 'tap'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import type { JobRuntime } from '../../src/platform/jobs/context.js'
import { jobsAskedBy, type JobAsks } from '../../src/platform/jobs/job-set.js'
import { SqliteJobQueue } from '../../src/platform/jobs/sqlite-queue.js'
import { domainEventVersions } from '../../src/app/stores.js'

/** A log in memory that queues the jobs of the slices' `asks`, its queue, and what a job runs with that needs no
 *  secret and no setting. */
export function logWithJobs(t: Test, ...asks: JobAsks[]) {
  const log = new SqliteEventLog({ path: ':memory:', versions: domainEventVersions, jobs: jobsAskedBy(asks) })
  t.teardown(() => log.close())
  const runtime: JobRuntime = { secrets: undefined as never, settings: undefined as never, stopping: () => false }
  return { log, queue: new SqliteJobQueue(log), runtime }
}
