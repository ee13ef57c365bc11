import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { instancesProjection } from '../../projections/instances/projection.js'
import { createdAndStarted, lod, serviceWithData, seedInstances } from '../support/lod.js'

// `lod projections rebuild`: fresh tables filled from the log, swapped in for the live ones in one transaction.

const tablesOf = (file: string) => {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare<[], { type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name").all()
  } finally {
    db.close()
  }
}

t.test('a rebuild restores a damaged read model and leaves the same tables and indexes behind', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h)
  await seedInstances(h, h.bob.id, 50)
  const file = join(h.dataDir, 'read.db')
  const before = tablesOf(file)
  const db = new Database(file)
  db.prepare('DELETE FROM instances WHERE id = ?').run(id)
  db.close()
  t.equal((await lod(['verify', '-d', h.dataDir])).code, 1, 'damaged')

  const run = await lod(['projections', 'rebuild', '-d', h.dataDir])
  t.equal(run.code, 0, run.err)
  t.match(run.out, /^Rebuilt instances(, \w+)* from 459 events in [\d.]+ s \([\d,]+ events\/s\); swapped in at position 459\.$/)
  const expected = [...before, { type: 'table', name: 'projection_rebuilds' }]
  // In the order tablesOf reads them: by type, then name.
  expected.sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1))
  t.same(tablesOf(file), expected, 'no table or index left under a rebuild name')
  t.equal((await lod(['verify', '-d', h.dataDir])).code, 0, 'equal to a fresh rebuild again')
  const details = await h.call('GET', `/api/lambda-instances/${id}/`)
  t.equal(details.json().data[0].status.message, 'STARTED', 'the running service reads the new tables')
  await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '4' } })
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/`)).json().data[0].status.message, 'STOPPING', 'and keeps them up to date')
})

t.test('one read model by name; an unknown name is refused', async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h, [])
  const one = await lod(['projections', 'rebuild', 'instances', '-d', h.dataDir])
  t.equal(one.code, 0)
  t.match(one.out, /^Rebuilt instances from 1 events/)
  const unknown = await lod(['projections', 'rebuild', 'nope', '-d', h.dataDir])
  t.equal(unknown.code, 2)
  t.match(unknown.err, /^lod: No read model named 'nope'; there are: instances(, \w+)*\.$/)
})

t.test('projections status shows each read model against the log', async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h, ['10'])
  const run = await lod(['projections', 'status', '-d', h.dataDir])
  t.equal(run.lines[0], 'event log at position 2')
  t.match(run.lines[1], /^read model +version +position +lag +state$/)
  t.match(run.lines[3], new RegExp(`^instances +${instancesProjection.version} +2 +0 +ok$`))
})
