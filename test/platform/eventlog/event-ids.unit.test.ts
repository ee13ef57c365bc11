import t from 'tap'
import { newEventId } from '../../../src/platform/eventlog/event-ids.js'
import { isUuid } from '../../../src/platform/http/envelope.js'

t.test('an event id is a UUID of version 7 and RFC 9562 variant, its first 48 bits the time in ms', async (t) => {
  const before = Date.now()
  const id = newEventId()
  const after = Date.now()
  t.ok(isUuid(id), id)
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const time = parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
  t.ok(time >= before && time <= after, `${time} within ${before}…${after}`)
})

t.test('ids made later sort later; ids are all different', async (t) => {
  const ids: string[] = []
  const end = Date.now() + 5
  while (Date.now() <= end) ids.push(newEventId())
  t.equal(new Set(ids).size, ids.length)
  const times = ids.map((id) => id.slice(0, 13))
  t.same(times, [...times].sort(), 'in the order they were made, to the millisecond')
  t.ok(new Set(times).size > 1, 'over several milliseconds')
})
