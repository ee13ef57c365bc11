import t from 'tap'
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { eventLogContract } from './contract.js'

t.test('contract, in memory', async (t) => {
  eventLogContract(t, async (rules) => new SqliteEventLog({ path: ':memory:', ...(rules && { rules }) }))
})

t.test('contract, on disk with synchronous=FULL', async (t) => {
  const dir = t.testdir()
  let n = 0
  eventLogContract(t, async (rules) => new SqliteEventLog({ path: `${dir}/events-${n++}.db`, ...(rules && { rules }) }))
})

t.test('what was acknowledged is there after reopening the file', async (t) => {
  const path = `${t.testdir()}/events.db`
  const log = new SqliteEventLog({ path })
  const ids = Array.from({ length: 20 }, () => randomUUID())
  await Promise.all(ids.map((id, i) => log.append(`s-${i}`, [{ id, type: 'E', data: { i }, metadata: { actor: 'a' } }], 'no_stream')))
  await log.close()
  const reopened = new SqliteEventLog({ path })
  t.teardown(() => reopened.close())
  const all = await reopened.readAll(0, 100)
  t.same(all.map((e) => e.id).sort(), [...ids].sort())
  t.equal(await reopened.headPosition(), 20)
})

t.test('appends in one turn of the event loop share one transaction', async (t) => {
  const log = new SqliteEventLog({ path: ':memory:' })
  t.teardown(() => log.close())
  const batches: number[] = []
  log.subscribe(0, (batch) => batches.push(batch.length))
  await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(`s-${i}`, [{ id: randomUUID(), type: 'E', data: {}, metadata: { actor: 'a' } }], 'any')))
  t.same(batches, [10])
})

t.test('while appends go on without a pause, the WAL starts over again and again', async (t) => {
  const path = `${t.testdir()}/events.db`
  const log = new SqliteEventLog({ path, synchronous: 'normal', walLimitPages: 100 })
  t.teardown(() => log.close())
  // The WAL's header counts the times it started over.
  const startedOver = () => {
    if (!existsSync(`${path}-wal`)) return 0
    const fd = openSync(`${path}-wal`, 'r')
    const header = Buffer.alloc(16)
    readSync(fd, header, 0, 16, 0)
    closeSync(fd)
    return header.readUInt32BE(12)
  }
  let appends = 0
  while (startedOver() < 3 && appends < 100_000)
    await Promise.all(
      Array.from({ length: 20 }, () => log.append(`s-${appends++ % 100}`, [{ id: randomUUID(), type: 'E', data: { appends }, metadata: { actor: 'a' } }], 'any')),
    )
  t.ok(startedOver() >= 3, `started over ${startedOver()} times in ${appends} appends`)
  t.equal(await log.headPosition(), appends, 'every append is there')
})

t.test('an append whose write fails fails alone, and writes nothing', async (t) => {
  const log = new SqliteEventLog({ path: ':memory:' })
  t.teardown(() => log.close())
  const seen: string[] = []
  log.subscribe(0, (batch) => seen.push(...batch.map((e) => e.stream)))
  const event = () => ({ id: randomUUID(), type: 'E', data: {}, metadata: { actor: 'a' } })
  const twice = event()
  // One turn of the event loop: one commit. The checks pass; the second insert of the id does not.
  const results = await Promise.allSettled([
    log.append('good-1', [event()], 'no_stream'),
    log.append('bad', [event(), twice, twice], 'no_stream', { idempotency: { scope: 'o', key: 'k', fingerprint: 'f', statusCode: 202, body: '{}' } }),
    log.append('good-2', [event(), event()], 'no_stream'),
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.match((results[1] as PromiseRejectedResult).reason, { message: /UNIQUE constraint failed: events.event_id/ })
  t.same(results.map((r) => (r.status === 'fulfilled' ? r.value : undefined)), [{ nextVersion: 0, position: 1 }, undefined, { nextVersion: 1, position: 3 }])
  t.same(await log.readStream('bad'), [])
  t.equal(await log.findIdempotency('o', 'k'), undefined, 'nor its idempotency record')
  t.same(seen, ['good-1', 'good-2', 'good-2'])
})

t.test('a retry is answered the first result whatever else it would be refused for', async (t) => {
  const log = new SqliteEventLog({ path: ':memory:' })
  t.teardown(() => log.close())
  const events = [{ id: randomUUID(), type: 'E', data: {}, metadata: { actor: 'a' } }]
  const idempotency = { scope: 'o', key: 'k', fingerprint: 'f', statusCode: 202, body: '{}' }
  const first = await log.append('s-1', events, 'no_stream', { idempotency })
  await log.append('s-1', [{ ...events[0]!, id: randomUUID() }], 0)
  t.same(
    await Promise.all([
      log.append('s-1', events, 'any'),
      log.append('s-1', events, 'no_stream'),
      log.append('s-1', events, 'any', { idempotency }),
      log.append('s-2', [{ ...events[0]!, id: randomUUID() }], 'no_stream'),
    ]),
    [first, first, first, { nextVersion: 0, position: 3 }],
  )
  t.equal(await log.headPosition(), 3)
})
