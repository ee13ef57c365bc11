import t from 'tap'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { eventVersions, UnknownEventVersionError } from '../../../src/platform/eventlog/upcast.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { domainEventVersions } from '../../../src/app/stores.js'
import { createBody } from '../../support/harness.js'
import { lod, serviceWithData } from '../../support/lod.js'
import { instanceStream } from '../../../src/instances/events.js'

// Event schema evolution: InstanceRequested v2 added `owner_name`. Events written as v1 stay as they are in the
// log and read as v2 (`owner_name: null`); new events are written as v2.

t.test('upcasters run from the stored version up to the current one', async (t) => {
  const versions = eventVersions({
    Thing: { 1: (v1: { a: number }) => ({ ...v1, b: 0 }), 2: (v2: { a: number; b: number }) => ({ sum: v2.a + v2.b }) },
  })
  t.equal(versions.current('Thing'), 3)
  t.equal(versions.current('Other'), 1, 'a type that never changed is at version 1')
  t.same(versions.upcast('Thing', 1, { a: 2 }), { sum: 2 })
  t.same(versions.upcast('Thing', 2, { a: 2, b: 3 }), { sum: 5 })
  t.same(versions.upcast('Thing', 3, { sum: 1 }), { sum: 1 })
  t.throws(() => versions.upcast('Thing', 4, {}), UnknownEventVersionError)
  t.throws(() => eventVersions({ Thing: { 2: (x) => x } }), /without a hole/)
})

t.test('the log stamps new events with the current version and reads old ones in the current shape', async (t) => {
  const log = new SqliteEventLog({ path: ':memory:', versions: domainEventVersions })
  t.teardown(() => log.close())
  const v1 = { owner: 'alice', name: 'old', instance_info: { ...createBody, instance_name: 'old' } }
  await log.append(instanceStream('a'), [{ id: randomUUID(), type: 'InstanceRequested', typeVersion: 1, data: v1, metadata: { actor: 'alice' } }], 'no_stream')
  await log.append(instanceStream('b'), [{ id: randomUUID(), type: 'InstanceRequested', data: { ...v1, owner_name: 'Alice' }, metadata: { actor: 'alice' } }], 'no_stream')
  await log.append(instanceStream('b'), [{ id: randomUUID(), type: 'InstanceStopRequested', data: {}, metadata: { actor: 'alice' } }], 0)
  const stored = log.db.prepare<[], { stream: string; type_version: number; data: string }>('SELECT stream, type_version, data FROM events').all()
  t.same(stored.map((row) => [row.stream, row.type_version]), [[instanceStream('a'), 1], [instanceStream('b'), 2], [instanceStream('b'), 1]])
  t.notMatch(stored[0]!.data, 'owner_name', 'the log itself is never rewritten')
  const [old] = await log.readStream(instanceStream('a'))
  t.match(old, { typeVersion: 2, data: { owner: 'alice', owner_name: null, name: 'old' } })
  t.match((await log.readStream(instanceStream('b')))[0], { typeVersion: 2, data: { owner_name: 'Alice' } })
})

t.test('a service whose log holds v1 events serves, audits and verifies them', async (t) => {
  const h = await serviceWithData(t)
  const id = randomUUID()
  const v1 = { owner: h.alice.id, name: 'from 2016', instance_info: { ...createBody, instance_name: 'from 2016' } }
  await h.service.log.append(instanceStream(id), [{ id: randomUUID(), type: 'InstanceRequested', typeVersion: 1, data: v1, metadata: { actor: h.alice.id } }], 'no_stream')
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/`)).json().data[0].info.name, 'from 2016')
  const created = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id

  const audit = JSON.parse((await lod(['audit', id, '--json', '-d', h.dataDir])).out)
  t.match(audit.events[0], { actor: h.alice.id, actor_name: null, data: { owner_name: null } })
  const fresh = JSON.parse((await lod(['audit', created, '--json', '-d', h.dataDir])).out)
  t.match(fresh.events[0], { actor_name: h.alice.name, data: { owner_name: h.alice.name } })
  t.equal((await lod(['verify', '-d', h.dataDir])).code, 0, 'both versions decode')

  const db = new Database(join(h.dataDir, 'events.db'), { readonly: true })
  t.same(db.prepare<[], { type_version: number }>('SELECT type_version FROM events ORDER BY position').all().map((r) => r.type_version), [1, 2])
  db.close()
})
