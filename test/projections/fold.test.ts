import t from 'tap'
import fc from 'fast-check'
import Database from 'better-sqlite3'
import type { RecordedEvent } from '../../src/eventlog/port.js'
import { foldInstances, instancesProjection } from '../../projections/instances.js'
import { liveTable } from '../../projections/projection.js'

// A rebuild folds events in memory (Projection.fold) where the live service applies them one by one (bind): both
// must leave exactly the same tables, whatever the events, including those the decider would never allow.

const ids = ['a', 'b', 'c', 'd', 'e']
const owners = ['alice', 'bob']
const statuses = ['0', '1', '2', '3', '4', '5', '6', '9', '10', '11', '22']
const apps = ['app-1', 'app-2']
const plainInfo = { instance_name: 'x', slaves: 2, kafka_input_topics: ['in'] }

const event = fc.oneof(
  fc.record({ type: fc.constant('InstanceRequested'), id: fc.constantFrom(...ids), data: fc.record({
    owner: fc.constantFrom(...owners), owner_name: fc.constant(null), name: fc.string({ maxLength: 4 }), instance_info: fc.constant(plainInfo) }) }),
  fc.record({ type: fc.constant('InstanceRegistered'), id: fc.constantFrom(...ids), data: fc.record({
    owner: fc.constantFrom(...owners), name: fc.constantFrom('r', 'ü"'),
    instance_info: fc.constantFrom(plainInfo, JSON.stringify(plainInfo), { master_node_id: 7, a: 1 }, 'not json', [1]),
    status: fc.constantFrom(...statuses), failure_message: fc.constantFrom('', 'broke') }) }),
  fc.record({ type: fc.constantFrom('InstanceStartRequested', 'InstanceStopRequested', 'InstanceDestroyRequested'), id: fc.constantFrom(...ids), data: fc.constant({}) }),
  fc.record({ type: fc.constant('InstanceStatusChanged'), id: fc.constantFrom(...ids), data: fc.record({
    status: fc.constantFrom(...statuses), failure_message: fc.constantFrom('', 'Ansible task failed'), source: fc.constant('reactor') }) }),
  fc.record({ type: fc.constant('ClusterProvisioned'), id: fc.constantFrom(...ids), data: fc.record({
    master: fc.record({ id: fc.integer({ min: 1, max: 99 }), name: fc.constant('m') }), slaves: fc.constant([]),
    network: fc.constant({ id: '1', subnet_id: '2', cidr: '192.168.0.0/24', gateway: '192.168.0.1' }),
    floating_ip: fc.constant({ id: '3', address: '83.212.1.1' }) }) }),
  fc.record({ type: fc.constant('AppDeployRequested'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), name: fc.constant('wc.jar'), type: fc.constantFrom('BATCH', 'STREAMING'), container: fc.constant('c') }) }),
  fc.record({ type: fc.constantFrom('AppDeployFailed', 'AppWithdrawn', 'AppStarted', 'AppStopped'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), failure_message: fc.constant('no') }) }),
  fc.record({ type: fc.constant('AppJobFailed'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), action: fc.constantFrom('start', 'stop', 'withdraw'), failure_message: fc.constant('no') }) }),
  fc.record({ type: fc.constant('ProvisioningStarted'), id: fc.constantFrom(...ids), data: fc.constant({}) }),
)

const recorded = (events: Array<{ type: string; id: string; data: unknown }>): RecordedEvent[] =>
  events.map((e, i) => ({
    position: i + 1, stream: `instance-${e.id}`, version: 0, type: e.type, typeVersion: 1, data: e.data, id: `e${i}`, time: '', metadata: { actor: 't' },
  }) as RecordedEvent)

function tables(db: Database.Database): Record<string, unknown[]> {
  return Object.fromEntries(
    instancesProjection.tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all()]),
  )
}

function applied(events: readonly RecordedEvent[]): Record<string, unknown[]> {
  const db = new Database(':memory:')
  db.exec(instancesProjection.ddl(liveTable))
  const apply = instancesProjection.bind(db, liveTable)
  db.transaction(() => events.forEach(apply))()
  return tables(db)
}

/** Folded in transactions of `batch` events, keeping at most `kept` rows in memory. */
function folded(events: readonly RecordedEvent[], batch: number, kept: number): Record<string, unknown[]> {
  const db = new Database(':memory:')
  db.exec(instancesProjection.ddl(liveTable))
  const fold = foldInstances(db, liveTable, kept)
  for (let i = 0; i < events.length; i += batch) db.transaction(() => events.slice(i, i + batch).forEach((e) => fold.apply(e)))()
  db.transaction(() => fold.flush())()
  return tables(db)
}

t.test('folding leaves the tables exactly as applying event by event', async (t) => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 2, max: 6 }), (events, batch, kept) => {
      const log = recorded(events)
      t.strictSame(folded(log, batch, kept), applied(log))
    }),
    { numRuns: 300 },
  )
})

t.test('a row forgotten and read back goes on from where it was', async (t) => {
  const lives = ids.flatMap((id, i) => [
    { type: 'InstanceRequested', id, data: { owner: owners[i % 2], owner_name: null, name: id, instance_info: plainInfo } },
  ])
  const later = ids.map((id) => ({ type: 'InstanceStatusChanged', id, data: { status: '6', failure_message: '', source: 'reactor' } }))
  const log = recorded([...lives, ...later])
  const result = folded(log, 3, 2)
  t.strictSame(result, applied(log))
  t.same(result.instance_counts, [{ owner: '', total: 5, active: 0 }, { owner: 'alice', total: 3, active: 0 }, { owner: 'bob', total: 2, active: 0 }])
})
