import { queryPostgres } from '../../test/support/postgres.js'

// What the group commits of a PostgreSQL log were like: every event a transaction writes carries that transaction's
// id (the row's xmin), so the events between two positions tell how many appends shared a commit.

/** The log's head position. */
export async function headOf(connectionString: string): Promise<number> {
  const [row] = await queryPostgres<{ position: string }>(connectionString, 'SELECT position FROM log_head')
  return Number(row!.position)
}

/** Events per commit among the positions after `from` up to `to` (each append here writes one event). */
export async function eventsPerCommit(connectionString: string, from: number, to: number): Promise<number> {
  const [row] = await queryPostgres<{ events: number; commits: number }>(
    connectionString,
    'SELECT count(*)::int AS events, count(DISTINCT xmin::text)::int AS commits FROM events WHERE position > $1 AND position <= $2',
    [from, to],
  )
  return row!.commits > 0 ? row!.events / row!.commits : 0
}
