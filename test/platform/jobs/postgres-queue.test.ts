import t from 'tap'
import { PostgresEventLog } from '../../../src/platform/eventlog/postgres.js'
import { PostgresJobQueue } from '../../../src/platform/jobs/postgres-queue.js'
import { freshPostgresDatabase } from '../../support/postgres.js'
import { jobQueueContract } from './queue-contract.js'

t.test('contract', async (t) => {
  jobQueueContract(t, {
    async fresh(jobs) {
      const log = await PostgresEventLog.open({ connectionString: await freshPostgresDatabase(), jobs })
      return { log, queue: new PostgresJobQueue(log) }
    },
    async fromBeforeJobs(jobs, events) {
      const connectionString = await freshPostgresDatabase()
      const before = await PostgresEventLog.open({ connectionString })
      for (const [stream, event] of events) await before.append(stream, [event], 'any')
      // The schema before the job table: version 1.
      await (await before.primary.pool()).query(`
        DROP TABLE jobs; DROP TABLE jobs_unseeded; DROP FUNCTION lod_append(jsonb, bigint, timestamptz);
        ALTER FUNCTION lod_append_events(jsonb, bigint, timestamptz) RENAME TO lod_append;
        DELETE FROM schema_version WHERE version = 2`)
      await before.close()
      const log = await PostgresEventLog.open({ connectionString, jobs })
      return { log, queue: new PostgresJobQueue(log) }
    },
  })
})
