import t from 'tap'
import type { RecordedEvent } from '../../../src/platform/eventlog/port.js'
import { ReplyCache } from '../../../projections/instances/reply-cache.js'
import { applicationStream } from '../../../src/applications/events.js'
import { instanceStream } from '../../../src/instances/events.js'

// The reply cache is never staler than the read model (projections/instances/reply-cache.ts).

const event = (position: number, stream: string, type = 'InstanceStatusChanged', data: unknown = {}): RecordedEvent => ({
  id: `e${position}`, stream, version: 0, position, type, typeVersion: 1, data, metadata: { actor: 't' }, time: '',
})

t.test('a commit or an applied event for an instance drops its details, and only those', async (t) => {
  const cache = new ReplyCache<string, string>(() => undefined)
  cache.keepDetails('a', 'alice', 'A')
  cache.keepDetails('b', 'alice', 'B')
  cache.readModelApplied(event(1, instanceStream('a')))
  cache.logCommitted([event(1, instanceStream('a'))])
  t.equal(cache.getDetails('a'), undefined)
  t.same(cache.getDetails('b'), { owner: 'alice', value: 'B' })
  cache.logCommitted([event(2, instanceStream('b')), event(3, applicationStream('x'))])
  t.equal(cache.getDetails('b'), undefined)
})

t.test("an event drops the pages of its instance's owner, and only theirs", async (t) => {
  const owners: Record<string, string> = { a: 'alice', b: 'bob' }
  const cache = new ReplyCache<string, string>((id) => owners[id])
  cache.keepPage('alice', '10:0', 'alice page')
  cache.keepPage('bob', '10:0', 'bob page')
  cache.logCommitted([event(1, instanceStream('a'))])
  t.equal(cache.getPage('alice', '10:0'), undefined, 'found by a lookup')
  t.equal(cache.getPage('bob', '10:0'), 'bob page')
  cache.readModelApplied(event(1, instanceStream('a')))
  cache.keepPage('alice', '10:0', 'alice page')
  cache.logCommitted([event(2, instanceStream('new'), 'InstanceRequested', { owner: 'bob' })])
  t.equal(cache.getPage('bob', '10:0'), undefined, 'a new instance: its owner is in the event')
  t.equal(cache.getPage('alice', '10:0'), 'alice page')
  cache.readModelApplied(event(2, instanceStream('new')))
  cache.keepPage('bob', '10:0', 'bob page')
  cache.logCommitted([event(3, instanceStream('unknown'))])
  t.equal(cache.getPage('alice', '10:0'), undefined, 'an owner nobody knows: every page goes')
  t.equal(cache.getPage('bob', '10:0'), undefined)
})

t.test('nothing is kept while the read model is behind the log', async (t) => {
  const cache = new ReplyCache<string, string>(() => undefined)
  cache.logCommitted([event(1, instanceStream('a'))])
  cache.keepDetails('a', 'alice', 'stale?')
  cache.keepPage('alice', '10:0', 'stale?')
  t.equal(cache.getDetails('a'), undefined, 'the read model has not applied position 1 yet')
  t.equal(cache.getPage('alice', '10:0'), undefined)
  cache.readModelApplied(event(1, instanceStream('a')))
  cache.keepDetails('a', 'alice', 'fresh')
  t.same(cache.getDetails('a'), { owner: 'alice', value: 'fresh' })
})

t.test('a read model that skipped positions, or applies one again, drops everything', async (t) => {
  const cache = new ReplyCache<string, string>(() => undefined)
  cache.follow({ subscribe: () => ({ close() {} }) } as never, 10)
  cache.keepDetails('a', 'alice', 'A')
  cache.keepPage('alice', '10:0', 'P')
  cache.readModelApplied(event(11, applicationStream('x')))
  t.ok(cache.getDetails('a'), 'the next position keeps the others')
  cache.readModelApplied(event(15, applicationStream('x')))
  t.equal(cache.getDetails('a'), undefined, 'a gap: tables were swapped in by another process')
  t.equal(cache.getPage('alice', '10:0'), undefined)
  cache.keepDetails('a', 'alice', 'A')
  cache.readModelApplied(event(15, applicationStream('x')))
  t.equal(cache.getDetails('a'), undefined, 'a batch applied again after a rollback')
})

t.test('it stays within its size', async (t) => {
  const cache = new ReplyCache<number, number>(() => undefined, 3)
  for (let i = 0; i < 5; i++) cache.keepDetails(`i${i}`, 'o', i)
  t.same(['i0', 'i1', 'i2', 'i3', 'i4'].map((id) => cache.getDetails(id)?.value), [undefined, undefined, 2, 3, 4])
})
