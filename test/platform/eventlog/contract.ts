import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import { eventRules, type EventRules } from '../../../src/platform/eventlog/event-rules.js'
import {
  DuplicateEventError,
  EventSchemaError,
  IdempotencyKeyReusedError,
  VersionConflictError,
  type EventLog,
  type NewEvent,
  type RecordedEvent,
} from '../../../src/platform/eventlog/port.js'
import { unversioned } from '../../../src/platform/eventlog/upcast.js'
import { waitUntil } from '../../support/wait.js'

// The behaviour every EventLog adapter must have. An adapter's test file calls this with a factory that
// gives a fresh, empty log each time, keeping to the event rules it is given (any event when none).

const event = (type = 'Something', data: unknown = { n: 1 }): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { actor: 'tester' },
})

const counted = eventRules({ Counted: Type.Object({ n: Type.Integer() }) }, unversioned)

export function eventLogContract(t: Test, makeLog: (rules?: EventRules) => Promise<EventLog>): void {
  const fresh = async (t: Test, rules?: EventRules) => {
    const log = await makeLog(rules)
    t.teardown(() => log.close())
    return log
  }

  t.test('a new stream starts at version 0 and positions are global', async (t) => {
    const log = await fresh(t)
    t.same(await log.readStream('a-1'), [])
    t.equal(await log.streamVersion('a-1'), -1)
    t.equal(await log.headPosition(), 0)
    const first = await log.append('a-1', [event(), event()], 'no_stream')
    t.same(first, { nextVersion: 1, position: 2 })
    const second = await log.append('b-1', [event()], -1)
    t.same(second, { nextVersion: 0, position: 3 })
    const stream = await log.readStream('a-1')
    t.same(stream.map((e) => [e.version, e.position]), [[0, 1], [1, 2]])
    t.same([await log.streamVersion('a-1'), await log.streamVersion('b-1')], [1, 0])
    t.equal(await log.headPosition(), 3)
  })

  t.test('recorded events keep type, data, metadata and a time', async (t) => {
    const log = await fresh(t)
    const e = { ...event('Thing', { a: [1, 'x'], b: null }), typeVersion: 2 }
    await log.append('s-1', [e], 'any')
    const [recorded] = await log.readStream('s-1')
    t.match(recorded, { id: e.id, stream: 's-1', type: 'Thing', typeVersion: 2, data: { a: [1, 'x'], b: null } })
    t.same(recorded!.metadata, { actor: 'tester' })
    t.ok(!Number.isNaN(Date.parse(recorded!.time)))
  })

  t.test('the expected version is checked', async (t) => {
    const log = await fresh(t)
    await log.append('s-1', [event()], 'no_stream')
    await t.rejects(log.append('s-1', [event()], 'no_stream'), VersionConflictError)
    await t.rejects(log.append('s-1', [event()], 5), VersionConflictError)
    await t.rejects(log.append('s-2', [event()], 0), VersionConflictError)
    t.same(await log.append('s-1', [event()], 0), { nextVersion: 1, position: 2 })
    t.same(await log.append('s-1', [event()], 'any'), { nextVersion: 2, position: 3 })
    t.equal((await log.readStream('s-1')).length, 3)
  })

  t.test('concurrent appends at the same version: exactly one wins, the others change nothing', async (t) => {
    const log = await fresh(t)
    await log.append('s-1', [event()], 'no_stream')
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => log.append('s-1', [event(), event()], 0)))
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    const conflicts = results.filter((r) => r.status === 'rejected')
    t.equal(conflicts.length, 4)
    for (const r of conflicts) t.type((r as PromiseRejectedResult).reason, VersionConflictError)
    t.equal((await log.readStream('s-1')).length, 3)
    t.equal(await log.headPosition(), 3)
  })

  t.test('many concurrent appends to different streams all commit, positions contiguous', async (t) => {
    const log = await fresh(t)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(`s-${i}`, [event()], 'no_stream')))
    t.same(results.map((r) => r.position).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1))
    const all = await log.readAll(0, 100)
    t.same(all.map((e) => e.position), Array.from({ length: 50 }, (_, i) => i + 1))
  })

  t.test('appending the same event ids again is a retry; reusing an id elsewhere is an error', async (t) => {
    const log = await fresh(t)
    const events = [event(), event()]
    const first = await log.append('s-1', events, 'no_stream')
    t.same(await log.append('s-1', events, 'no_stream'), first, 'a retry answers the first result')
    t.equal((await log.readStream('s-1')).length, 2)
    await t.rejects(log.append('s-2', [events[0]!], 'any'), DuplicateEventError)
    await t.rejects(log.append('s-1', [event(), events[1]!], 'any'), DuplicateEventError)
    t.equal(await log.headPosition(), 2)
  })

  t.test('readAll pages through the log in order', async (t) => {
    const log = await fresh(t)
    for (let i = 0; i < 7; i++) await log.append(`s-${i % 3}`, [event('E', { i })], 'any')
    const page1 = await log.readAll(0, 3)
    const page2 = await log.readAll(page1[2]!.position, 3)
    const page3 = await log.readAll(page2[2]!.position, 3)
    t.same([...page1, ...page2, ...page3].map((e) => (e.data as { i: number }).i), [0, 1, 2, 3, 4, 5, 6])
    t.same(await log.readAll(7, 10), [])
  })

  t.test('subscribe catches up, then sees each commit in order, exactly once', async (t) => {
    const log = await fresh(t)
    await log.append('s-1', [event('E', { i: 0 }), event('E', { i: 1 })], 'any')
    const seen: RecordedEvent[] = []
    const subscription = log.subscribe(1, (batch) => seen.push(...batch))
    // An adapter may catch up in the background (PostgreSQL does).
    await waitUntil('the catch-up', () => (seen.length > 0 ? true : undefined))
    t.same(seen.map((e) => e.position), [2], 'catch-up starts after fromPosition')
    await Promise.all([log.append('s-2', [event()], 'any'), log.append('s-3', [event()], 'any')])
    t.same(seen.map((e) => e.position), [2, 3, 4], 'live commits are delivered before the append resolves')
    subscription.close()
    await log.append('s-4', [event()], 'any')
    t.equal(seen.length, 3, 'nothing after close')
  })

  t.test('a rejected append is not delivered to subscribers', async (t) => {
    const log = await fresh(t)
    const seen: RecordedEvent[] = []
    log.subscribe(0, (batch) => seen.push(...batch))
    await Promise.allSettled([log.append('s-1', [event()], 'no_stream'), log.append('s-1', [event()], 'no_stream')])
    t.equal(seen.length, 1)
  })

  t.test('an idempotency record is stored with the append, once per key', async (t) => {
    const log = await fresh(t)
    const record = { scope: 'owner-1', key: 'k-1', fingerprint: 'f', statusCode: 202, body: '{"ok":true}' }
    t.equal(await log.findIdempotency('owner-1', 'k-1'), undefined)
    await log.append('s-1', [event()], 'no_stream', { idempotency: record })
    t.same(await log.findIdempotency('owner-1', 'k-1'), record)
    t.equal(await log.findIdempotency('owner-2', 'k-1'), undefined, 'keys are scoped')
    await t.rejects(log.append('s-2', [event()], 'no_stream', { idempotency: record }), IdempotencyKeyReusedError)
    t.same(await log.readStream('s-2'), [], 'the second append with that key wrote nothing')
  })

  t.test('a failed append leaves no idempotency record behind', async (t) => {
    const log = await fresh(t)
    await log.append('s-1', [event()], 'no_stream')
    const record = { scope: 'o', key: 'k', fingerprint: 'f', statusCode: 202, body: '{}' }
    await t.rejects(log.append('s-1', [event()], 'no_stream', { idempotency: record }), VersionConflictError)
    t.equal(await log.findIdempotency('o', 'k'), undefined)
  })

  t.test('an event that does not match its schema is refused and nothing is appended', async (t) => {
    const log = await fresh(t, counted)
    const seen: RecordedEvent[] = []
    log.subscribe(0, (batch) => seen.push(...batch))
    const record = { scope: 'o', key: 'k', fingerprint: 'f', statusCode: 202, body: '{}' }
    // One turn of the event loop: the refused appends would share a group commit with the good ones.
    const results = await Promise.allSettled([
      log.append('good-1', [event('Counted', { n: 1 })], 'no_stream'),
      log.append('bad-1', [event('Counted', { n: 'one' })], 'no_stream', { idempotency: record }),
      log.append('bad-2', [event('Counted', { n: 2 }), event('Counted', {})], 'no_stream'),
      log.append('bad-3', [event('Unheard', { n: 3 })], 'no_stream'),
      log.append('bad-4', [{ ...event('Counted', { n: 4 }), metadata: {} as { actor: string } }], 'no_stream'),
      log.append('good-2', [event('Counted', { n: 5 })], 'no_stream'),
    ])
    t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'fulfilled'])
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    for (const reason of reasons) t.type(reason, EventSchemaError)
    t.match(reasons[0], { stream: 'bad-1', eventType: 'Counted', message: /^refused to append Counted to bad-1: data does not match the schema \(\/n / })
    t.match(reasons[2], { message: /unknown event type/ })
    t.match(reasons[3], { message: /metadata has no actor/ })
    for (const stream of ['bad-1', 'bad-2', 'bad-3', 'bad-4']) t.same(await log.readStream(stream), [], `nothing of ${stream}`)
    t.equal(await log.findIdempotency('o', 'k'), undefined, 'nor its idempotency record')
    t.equal(await log.headPosition(), 2)
    t.same(seen.map((e) => e.stream), ['good-1', 'good-2'], 'the good appends commit, and only they are delivered')
  })
}
