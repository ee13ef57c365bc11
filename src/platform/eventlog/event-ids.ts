import { randomUUID } from 'node:crypto'

// The ids of new events: UUIDs of version 7 (RFC 9562), whose first 48 bits are the time in milliseconds and
// the rest random. Ids made one after another sort one after another, so the log's unique index on event ids
// takes each new one at its end, in a page already written, where a random (version 4) id would dirty a page
// of its own anywhere in the index, in every commit. The random part is a version 4 UUID's: from the same
// source, with the variant already set.

export function newEventId(): string {
  const time = Date.now().toString(16).padStart(12, '0')
  const random = randomUUID()
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`
}
