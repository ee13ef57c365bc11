import t from 'tap'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { SqliteJobQueue } from '../../../src/platform/jobs/sqlite-queue.js'
import { jobQueueContract } from './queue-contract.js'

t.test('contract', async (t) => {
  const dir = t.testdir()
  let n = 0
  jobQueueContract(t, {
    async fresh(jobs) {
      const log = new SqliteEventLog({ path: ':memory:', jobs })
      return { log, queue: new SqliteJobQueue(log) }
    },
    async fromBeforeJobs(jobs, events) {
      const path = `${dir}/events-${n++}.db`
      const before = new SqliteEventLog({ path })
      for (const [stream, event] of events) await before.append(stream, [event], 'any')
      // The layout before the job table: no table, no version.
      before.db.exec('DROP TABLE jobs; DROP TABLE jobs_unseeded')
      before.db.pragma('user_version = 0')
      await before.close()
      const log = new SqliteEventLog({ path, jobs })
      return { log, queue: new SqliteJobQueue(log) }
    },
  })
})

t.test('a file whose layout is newer than this code is refused', async (t) => {
  const path = `${t.testdir()}/events.db`
  const log = new SqliteEventLog({ path })
  log.db.pragma('user_version = 2')
  await log.close()
  t.throws(() => new SqliteEventLog({ path }), /events.db is at version 2, this code knows versions up to 1/)
})
