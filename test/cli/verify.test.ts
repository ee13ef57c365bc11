import t from 'tap'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createdAndStarted, lod, serviceWithData } from '../support/lod.js'
import { instanceStream } from '../../src/instances/events.js'

// `lod verify`: the log's invariants and each read model against a fresh rebuild; exit code 1 on a difference.

t.test('a log and read models written by the service verify', async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h)
  await createdAndStarted(h, ['10', '11'])
  const run = await lod(['verify', '-d', h.dataDir])
  t.equal(run.code, 0, run.out)
  t.equal(run.lines[0], 'ok    event log: 12 events in 2 streams; versions contiguous, ids unique, every event decodes')
  t.match(run.lines[1], /^ok {4}read model instances: equals a fresh rebuild at position 12 \(\d+ rows\)$/)
  t.ok(run.lines.slice(1).every((line) => /^ok {4}read model \w+: equals a fresh rebuild at position 12/.test(line)), 'every read model')
})

t.test('a deliberately corrupted read model is caught', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h)
  const db = new Database(join(h.dataDir, 'read.db'))
  db.prepare("UPDATE instances SET status = '9', failure_message = 'edited by hand' WHERE id = ?").run(id)
  db.prepare("INSERT INTO instances (id, owner, name, status, failure_message, instance_info, created_position) VALUES ('ghost', 'x', 'ghost', '0', '', '{}', 99)").run()
  db.close()
  const run = await lod(['verify', '-d', h.dataDir])
  t.equal(run.code, 1)
  t.match(run.out, 'FAIL  read model instances: differs from a fresh rebuild at position 9')
  t.match(run.out, 'table instances: 1 row(s) missing or different, 2 unexpected')
  t.match(run.out, `expected {"id":"${id}"`)
  t.match(run.out, '"failure_message":"edited by hand"')
  const json = JSON.parse((await lod(['verify', '--json', '-d', h.dataDir])).out)
  t.match(json, { ok: false, readModels: { differences: [{ projection: 'instances', table: 'instances', missing: 1, unexpected: 2 }] } })
})

t.test('a log with a hole in a stream or events that do not decode is caught', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h, ['10'])
  await h.service.close()
  const db = new Database(join(h.dataDir, 'events.db'))
  const insert = db.prepare('INSERT INTO events (event_id, stream, version, type, type_version, data, metadata, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const now = new Date().toISOString()
  insert.run(randomUUID(), instanceStream(id), 5, 'InstanceStatusChanged', 1, '{"status":"0","failure_message":"","source":"reactor"}', '{"actor":"x"}', now)
  insert.run(randomUUID(), instanceStream(randomUUID()), 0, 'InstanceStatusChanged', 1, '{"status":"99"}', '{"actor":"x"}', now)
  insert.run(randomUUID(), instanceStream(randomUUID()), 0, 'SomethingElse', 1, '{}', '{"actor":"x"}', now)
  insert.run(randomUUID(), instanceStream(randomUUID()), 0, 'InstanceRequested', 7, '{}', '{"actor":"x"}', now)
  db.close()
  const run = await lod(['verify', '-d', h.dataDir])
  t.equal(run.code, 1)
  t.match(run.out, 'FAIL  event log: 4 problem(s) in 6 events')
  t.match(run.out, new RegExp(`stream versions: instance-${id}: 3 events with versions 0…5, expected 0…2`))
  t.match(run.out, /decoding: #4 InstanceStatusChanged in instance-.*@0: data does not match the schema/)
  t.match(run.out, /decoding: #5 SomethingElse in .*: unknown event type/)
  t.match(run.out, /decoding: #6 InstanceRequested in .*: stored as version 7, this code reads 1 to 2/)
})
