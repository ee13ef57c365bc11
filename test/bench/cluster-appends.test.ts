import t from 'tap'
import { PostgresEventLog } from '../../src/platform/eventlog/postgres.js'
import { appendRate } from '../../scripts/bench-cluster/appends.js'
import { freshPostgresDatabase } from '../support/postgres.js'

// The part of `npm run bench:cluster` that counts the appends each commit held: it reads the log's own rows, so it
// must agree with what was appended. No timing is asserted: the numbers are the bench's to print.

t.test('appends in flight are counted, and never more per commit than were in flight', async (t) => {
  const connectionString = await freshPostgresDatabase()
  const log = await PostgresEventLog.open({ connectionString })
  t.teardown(() => log.close())
  const one = await appendRate(log, connectionString, 1, 0.2)
  t.ok(one.perSecond > 0, 'appends were made')
  t.equal(one.perCommit, 1, 'one at a time: one per commit')
  const ten = await appendRate(log, connectionString, 10, 0.2)
  t.ok(ten.perCommit > 1 && ten.perCommit <= 10, `ten in flight share commits (${ten.perCommit} per commit)`)
})
