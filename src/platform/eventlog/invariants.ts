import type { TSchema } from 'typebox'
import type { SqliteEventReader } from './sqlite-reader.js'
import { eventRules } from './event-rules.js'
import type { EventVersions } from './upcast.js'

// The invariants of the event log that `lod verify` checks: each stream's versions run 0, 1, 2… without a hole,
// every event id is stored once, and every event decodes: a known type, a version this code can read, data that
// matches its type's current schema once upcast, and metadata naming an actor.

export interface LogProblem {
  check: 'stream versions' | 'unique ids' | 'decoding'
  detail: string
}

export interface LogReport {
  events: number
  streams: number
  problems: LogProblem[]
  /** Problems found beyond those listed (the list stops at `maxProblems`). */
  more: number
}

export function checkLog(
  reader: SqliteEventReader,
  schemas: Readonly<Record<string, TSchema>>,
  versions: EventVersions,
  options: { maxProblems?: number; batchSize?: number } = {},
): LogReport {
  const maxProblems = options.maxProblems ?? 50
  const problems: LogProblem[] = []
  let more = 0
  const report = (problem: LogProblem) => (problems.length < maxProblems ? problems.push(problem) : more++)

  const db = reader.db
  // With UNIQUE (stream, version), "first is 0 and last is count - 1" means no hole.
  const holes = db
    .prepare<[], { stream: string; n: number; lo: number; hi: number }>(
      'SELECT stream, count(*) AS n, min(version) AS lo, max(version) AS hi FROM events GROUP BY stream HAVING lo <> 0 OR hi <> n - 1',
    )
    .all()
  for (const h of holes)
    report({ check: 'stream versions', detail: `${h.stream}: ${h.n} events with versions ${h.lo}…${h.hi}, expected 0…${h.n - 1}` })
  const duplicates = db
    .prepare<[], { event_id: string; n: number }>('SELECT event_id, count(*) AS n FROM events GROUP BY event_id HAVING n > 1')
    .all()
  for (const d of duplicates) report({ check: 'unique ids', detail: `event id ${d.event_id} is stored ${d.n} times` })
  const streams = db.prepare<[], { n: number }>('SELECT count(DISTINCT stream) AS n FROM events').get()!.n

  const rules = eventRules(schemas, versions)
  const head = reader.head()
  let events = 0
  for (let position = 0; position < head; ) {
    const batch = reader.range(position, head, options.batchSize ?? 20_000)
    if (batch.length === 0) break
    for (const event of batch) {
      events++
      const where = `#${event.position} ${event.type} in ${event.stream}@${event.version}`
      try {
        for (const problem of rules.problems(event)) report({ check: 'decoding', detail: `${where}: ${problem}` })
      } catch (error) {
        report({ check: 'decoding', detail: `${where}: ${(error as Error).message}` })
      }
    }
    position = batch[batch.length - 1]!.position
  }
  return { events, streams, problems, more }
}
