import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, statusChanged } from '../../support/fixtures.js'
import { instanceStream } from '../../../src/instances/events.js'
import { given } from '../../support/given.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { liveInstancesReadModel } from '../../../projections/instances/live.js'
import { openReadModelDb, ProjectionRunner } from '../../../projections/runner.js'

// The live instances read model keeps the replies it renders, and keeps on keeping them after writes: its
// projection tells the cache what it applied, so the cache knows it is not behind the log.

t.test('after a write is applied, a details reply is rendered once and then answered from memory', async (t) => {
  const log = new SqliteEventLog({ path: ':memory:' })
  const db = openReadModelDb(':memory:')
  const model = liveInstancesReadModel(db)
  const following = new ProjectionRunner(db, [model.projection]).follow(log)
  const invalidating = model.replies.follow(log, log.headPositionSync())
  const queries = model.queries()
  t.teardown(async () => {
    following.close()
    invalidating.close()
    await log.close()
    db.close()
  })
  const id = randomUUID()
  for (const event of [requestedBy('alice', 'one'), statusChanged('0'), statusChanged('1')]) {
    await given(log, instanceStream(id), event)
    const first = queries.renderedDetails('alice', id)
    t.ok(first, 'the read model has it')
    t.equal(queries.renderedDetails('alice', id), first, 'the second read is the kept reply')
  }
  t.match(queries.renderedDetails('alice', id), { status: /"code":"1"/ }, 'and it is the newest')
})
