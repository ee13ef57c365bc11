import t, { type Test } from 'tap'
import fc from 'fast-check'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { compareWithRebuild } from '../../projections/compare.js'
import { readAhead } from '../../projections/fill.js'
import { rebuildLive, replayIntoFile } from '../../projections/rebuild.js'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import { SqliteEventReader } from '../../src/platform/eventlog/sqlite-reader.js'
import { dataFiles, domainEventVersions, readModels, registry } from '../../src/app/stores.js'
import { tempDir } from '../support/temp-dir.js'
import { instanceEvent } from '../support/projection-events.js'
import { applicationStream } from '../../src/applications/events.js'
import { instanceStream } from '../../src/instances/events.js'
import { webhookStream } from '../../src/webhooks/index.js'
import { given } from '../support/given.js'

// Rebuilds and replays fold events in memory and share the streams out between threads (projections/fill.ts):
// whatever the threads, the read models must equal applying every event one by one (compareWithRebuild).

/** A log of random instance lives (200-odd streams), applications uploaded, renamed and deleted, and webhooks with
 *  deliveries delivered, retried and failed. */
async function writeLog(dir: string): Promise<number> {
  const log = new SqliteEventLog({ path: dataFiles(dir).events, synchronous: 'normal', versions: domainEventVersions })
  const events = fc.sample(fc.array(instanceEvent, { minLength: 40, maxLength: 60 }), { numRuns: 40, seed: 7 })
  const apps = Array.from({ length: 20 }, () => randomUUID())
  let appended = 0
  for (const [group, lives] of events.entries()) {
    for (const event of lives) {
      await given(log, instanceStream(`${group}-${event.id}`), event)
      appended++
    }
    const app = apps[group % apps.length]!
    const appEvents =
      group < apps.length
        ? [{ type: 'AppUploadRequested', data: {
            owner: 'alice', owner_name: null, name: `wc${group}.jar`, project_id: 'p', project_name: 'lambda.grnet.gr', container: 'c',
            description: '', type: 'BATCH', execution_environment_name: 'Flink', size: 10, sha256: 'x' } }]
        : group % 3 === 0 ? [{ type: 'AppDeleted', data: {} }] : [{ type: 'AppUploaded', data: {} }]
    await given(log, applicationStream(app), ...appEvents)
    appended += appEvents.length
    const webhookEvents = webhookLife(group)
    await given(log, webhookStream(randomUUID()), ...webhookEvents)
    appended += webhookEvents.length
  }
  await log.close()
  return appended
}

/** A webhook of one of two owners, with a delivery of each ending, and deleted now and then. */
function webhookLife(n: number) {
  const payload = { type: 'instance.status_changed', timestamp: '2026-12-02T10:00:00.000Z', data: { instance_id: 'i', position: n } }
  const requested = (delivery: string, position: number) => ({ type: 'WebhookDeliveryRequested', data: { delivery, position, payload } })
  const attempted = (delivery: string, attempt: number, http_status: number | null, next: string | null) => ({
    type: 'WebhookDeliveryAttempted',
    data: { delivery, attempt, time: '2026-12-02T10:00:01.000Z', http_status, error: http_status === 204 ? '' : 'unavailable', duration_ms: 12, next_attempt_at: next },
  })
  return [
    { type: 'WebhookCreated', data: { owner: n % 2 ? 'alice' : 'bob', url: `https://hooks.example.org/${n}`, events: ['*'], description: `hook ${n}` } },
    requested('d1', 10 + n),
    attempted('d1', 1, 503, '2026-12-02T10:00:06.000Z'),
    attempted('d1', 2, 204, null),
    { type: 'WebhookDelivered', data: { delivery: 'd1' } },
    requested('d2', 20 + n),
    attempted('d2', 1, 410, null),
    { type: 'WebhookDeliveryFailed', data: { delivery: 'd2', reason: 'gone' } },
    ...(n % 4 === 0 ? [{ type: 'WebhookSecretRotated', data: { generation: 2, previous_valid_until: '2026-12-03T10:00:00.000Z' } }] : []),
    ...(n % 5 === 0 ? [{ type: 'WebhookDeleted', data: {} }] : []),
  ]
}

function sameAsEventByEvent(t: Test, reader: SqliteEventReader, path: string) {
  const report = compareWithRebuild(reader, path, readModels)
  t.same(report.differences, [], 'every table equals applying the events one by one')
  t.same(report.problems, [])
  t.same(report.compared.map((c) => c.projection), ['instances', 'applications', 'webhooks'])
  t.ok(report.compared.every((c) => c.rows > 0), 'rows were compared')
}

t.test('a replay and a rebuild in one thread and in two give the read models of applying every event', async (t) => {
  const dir = tempDir(t)
  const events = await writeLog(dir)
  const reader = new SqliteEventReader(dataFiles(dir).events, domainEventVersions)
  t.teardown(() => reader.close())
  t.equal(reader.head(), events)
  for (const threads of [1, 2]) {
    const out = join(dir, `replay-${threads}.db`)
    const progress: number[] = []
    const result = await replayIntoFile(reader, out, readModels, reader.head(), { registry, threads, batchSize: 500, onProgress: (p) => progress.push(p.done) })
    t.equal(result.position, events, `replay in ${threads} thread(s) reaches the head`)
    t.equal(progress.at(-1), events, 'progress ends at the head')
    sameAsEventByEvent(t, reader, out)
    await rebuildLive(reader, dataFiles(dir).readModels, readModels, { registry, threads, batchSize: 500 })
    sameAsEventByEvent(t, reader, dataFiles(dir).readModels)
  }
  t.same(readdirSync(dir).filter((name) => name.includes('.part')), [], 'no partition file is left')
})

t.test('a replay stopped while threads are filling leaves no file', async (t) => {
  const dir = tempDir(t)
  await writeLog(dir)
  const reader = new SqliteEventReader(dataFiles(dir).events, domainEventVersions)
  t.teardown(() => reader.close())
  const stop = new AbortController()
  const out = join(dir, 'replay.db')
  await t.rejects(
    replayIntoFile(reader, out, readModels, reader.head(), { registry, threads: 2, batchSize: 100, signal: stop.signal, onProgress: () => stop.abort() }),
  )
  t.notOk(existsSync(out))
  t.same(readdirSync(dir).filter((name) => name.startsWith('replay')), [], 'no partial or partition file either')
})

t.test('reading the log ahead of a big rebuild stops with it, and never fails it', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'big.db')
  writeFileSync(file, Buffer.alloc(48 << 20))
  await readAhead(file, 1).stop()
  await readAhead(join(dir, 'missing.db'), 1).stop()
  await readAhead(file, 0.1).stop()
  t.pass('a big file, a missing one and a small share: each reading stops when told, none throws')
})
