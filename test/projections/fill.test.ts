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
import { given } from '../support/given.js'

// Rebuilds and replays fold events in memory and share the streams out between threads (projections/fill.ts):
// whatever the threads, the read models must equal applying every event one by one (compareWithRebuild).

/** A log of random instance lives (200-odd streams) and applications uploaded, renamed and deleted. */
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
  }
  await log.close()
  return appended
}

function sameAsEventByEvent(t: Test, reader: SqliteEventReader, path: string) {
  const report = compareWithRebuild(reader, path, readModels)
  t.same(report.differences, [], 'every table equals applying the events one by one')
  t.same(report.problems, [])
  t.same(report.compared.map((c) => c.projection), ['instances', 'applications'])
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
