import t from 'tap'
import fc from 'fast-check'
import Database from 'better-sqlite3'
import type { RecordedEvent } from '../../../src/platform/eventlog/port.js'
import { foldInstances } from '../../../projections/instances/fold.js'
import { instancesProjection } from '../../../projections/instances/projection.js'
import { liveTable } from '../../../projections/projection.js'
import { instanceEvent as event, ids, owners, plainInfo } from '../../support/projection-events.js'
import { instanceStream } from '../../../src/instances/events.js'

// A rebuild folds events in memory (Projection.fold) where the live service applies them one by one (bind): both
// must leave exactly the same tables, whatever the events, including those the decider would never allow.

const recorded = (events: Array<{ type: string; id: string; data: unknown }>): RecordedEvent[] =>
  events.map((e, i) => ({
    position: i + 1, stream: instanceStream(e.id), version: 0, type: e.type, typeVersion: 1, data: e.data, id: `e${i}`, time: '', metadata: { actor: 't' },
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
