import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { InstanceEvent } from '../../../src/instances/events.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { instancesProjection } from '../../../projections/instances/projection.js'
import { instanceQueries } from '../../../projections/instances/queries.js'
import { openReadModelDb, ProjectionRunner } from '../../../projections/runner.js'
import { instanceStream } from '../../../src/instances/events.js'
import { createBody, requestedBy, statusChanged } from '../../support/fixtures.js'
import { given } from '../../support/given.js'

/** The instance_info of an instance requested by the name 'one'. */
const spec = { ...createBody, instance_name: 'one' }

async function setup(t: Test) {
  const log = new SqliteEventLog({ path: ':memory:' })
  const db = openReadModelDb(':memory:')
  const runner = new ProjectionRunner(db, [instancesProjection])
  const subscription = runner.follow(log)
  t.teardown(async () => {
    subscription.close()
    await log.close()
    db.close()
  })
  return { log, db, runner, given: (id: string, ...events: InstanceEvent[]) => given(log, instanceStream(id), ...events), queries: instanceQueries(db) }
}

t.test('details show instance_info with master_node_id, status and applications', async (t) => {
  const { given, queries } = await setup(t)
  const id = randomUUID()
  await given(id, requestedBy('alice', 'one'))
  t.same(queries.details('alice', id), {
    id, name: 'one',
    status: { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' },
    info: { ...spec, master_node_id: null },
    applications: [],
  })
  await given(id, {
    type: 'ClusterProvisioned',
    data: {
      master: { id: 10000, name: 'm' }, slaves: [{ id: 10001, name: 'lambda-node1' }],
      network: { id: '3141', subnet_id: '1413', cidr: '192.168.0.0/24', gateway: '192.168.0.1' },
      floating_ip: { id: '684011', address: '83.212.116.58' },
    },
  }, statusChanged('11', 'Cyclades VMs out of limit'))
  t.match(queries.details('alice', id), {
    info: { master_node_id: 10000 },
    status: { code: '11', message: 'CLUSTER_FAILED', detail: '~okeanos cluster build has failed', failure_message: 'Cyclades VMs out of limit' },
  })
  t.equal(queries.details('bob', id), undefined, "another owner's instance is not there")
})

t.test('the list hides DESTROYED and pages in creation order; counts agree', async (t) => {
  const { given, queries } = await setup(t)
  const ids = Array.from({ length: 5 }, () => randomUUID())
  for (const [i, id] of ids.entries()) await given(id, requestedBy('alice', `name_${i}`))
  await given(ids[1]!, statusChanged('6'))
  await given(randomUUID(), requestedBy('bob', 'bobs'))
  const all = queries.list('alice', undefined, 0)
  t.equal(all.total, 4)
  t.same(all.items.map((i) => i.name), ['name_0', 'name_2', 'name_3', 'name_4'])
  t.same(queries.list('alice', 2, 1).items.map((i) => i.name), ['name_2', 'name_3'])
  t.same(queries.list('alice', 0, 0).items, [])
  t.same(queries.list('alice', 10, 100).items, [])
  t.equal(queries.count('alice'), 4)
  t.equal(queries.count('bob'), 1)
  t.same(all.items[0], { id: ids[0], name: 'name_0', status: { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' }, running_app: false })
})

t.test('the status family list is raw and includes destroyed; the global count spans owners', async (t) => {
  const { given, queries } = await setup(t)
  const a = randomUUID(), b = randomUUID(), c = randomUUID()
  await given(a, requestedBy('alice', 'a'), statusChanged('0'))
  await given(b, { type: 'InstanceRegistered', data: { owner: 'alice', name: 'b', instance_info: 'test_content', status: '0', failure_message: 'OK' } }, statusChanged('6'))
  await given(c, requestedBy('bob', 'c'))
  const raw = queries.rawList('alice', undefined, 0)
  t.equal(raw.total, 2)
  t.same(raw.items[1], { uuid: b, name: 'b', instance_info: 'test_content', status: '6', failure_message: '' })
  t.same(JSON.parse(raw.items[0]!.instance_info), { ...spec, instance_name: 'a' })
  t.same(queries.globalCount(), { active: 2, running: 1, created: 3 })
})

t.test('stopping frees the job slots; destroying drops the deployments', async (t) => {
  const { given, queries, db } = await setup(t)
  const id = randomUUID()
  await given(id, requestedBy('alice', 'one'), statusChanged('0'))
  db.prepare(`INSERT INTO instance_applications VALUES (?, 'app-1', 'app.jar', 'BATCH', 1, 1)`).run(id)
  t.equal(queries.list('alice', undefined, 0).items[0]!.running_app, true)
  await given(id, { type: 'InstanceStopRequested', data: {} })
  t.same(queries.details('alice', id)!.applications, [{ name: 'app.jar', id: 'app-1', started: false, type: 'BATCH' }])
  await given(id, { type: 'InstanceDestroyRequested', data: {} })
  t.same(queries.details('alice', id)!.applications, [])
})

t.test('a rebuild from position 0 gives identical tables', async (t) => {
  const { log, db, given } = await setup(t)
  for (let i = 0; i < 30; i++) {
    const id = randomUUID()
    await given(id, requestedBy(i % 2 ? 'alice' : 'bob', `n${i}`), statusChanged(String(i % 24)))
  }
  const dump = (d: typeof db) => d.prepare('SELECT * FROM instances ORDER BY id').all()
  const fresh = openReadModelDb(':memory:')
  t.teardown(() => fresh.close())
  const rebuilt = new ProjectionRunner(fresh, [instancesProjection])
  rebuilt.follow(log).close()
  t.same(dump(fresh), dump(db))
  t.equal(rebuilt.position(), await log.headPosition())
})

t.test('a restart resumes from the checkpoint without applying anything twice', async (t) => {
  const dir = t.testdir()
  const log = new SqliteEventLog({ path: `${dir}/events.db` })
  t.teardown(() => log.close())
  const db1 = openReadModelDb(`${dir}/read.db`)
  const r1 = new ProjectionRunner(db1, [instancesProjection])
  const s1 = r1.follow(log)
  const id = randomUUID()
  await given(log, instanceStream(id), requestedBy('alice', 'x'))
  s1.close(); db1.close()
  await given(log, instanceStream(id), statusChanged('10'))
  const db2 = openReadModelDb(`${dir}/read.db`)
  t.teardown(() => db2.close())
  const r2 = new ProjectionRunner(db2, [instancesProjection])
  t.equal(r2.position(), 1, 'resumes from the stored checkpoint')
  r2.follow(log).close()
  t.equal(r2.position(), 2)
  t.match(instanceQueries(db2).details('alice', id), { status: { code: '10' } })
})
