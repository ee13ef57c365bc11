import { randomUUID } from 'node:crypto'
import type { PostgresEventLog } from '../../src/platform/eventlog/postgres.js'
import { eventsPerCommit, headOf } from './commits.js'

// The PostgreSQL log's own rate, in this process, without HTTP: `inFlight` appends waiting at once, each of one
// event to a stream of its own. The ones that arrive while a commit is in flight form the next group, so the group
// grows with the appends in flight, and every group holds the head row for one round trip.

export interface AppendRate {
  perSecond: number
  /** Appends per commit, as the log grouped them. */
  perCommit: number
}

export async function appendRate(log: PostgresEventLog, connectionString: string, inFlight: number, seconds: number): Promise<AppendRate> {
  let appended = 0
  const from = await headOf(connectionString)
  const started = performance.now()
  const end = started + seconds * 1000
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      const stream = `bench-${randomUUID()}`
      while (performance.now() < end) {
        await log.append(stream, [{ id: randomUUID(), type: 'Benchmarked', data: { n: appended }, metadata: { actor: 'bench' } }], 'any')
        appended++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  return { perSecond: appended / elapsed, perCommit: await eventsPerCommit(connectionString, from, await headOf(connectionString)) }
}
