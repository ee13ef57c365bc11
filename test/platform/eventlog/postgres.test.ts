import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { NewEvent, RecordedEvent } from '../../../src/platform/eventlog/port.js'
import { PostgresEventLog, type PostgresEventLogOptions } from '../../../src/platform/eventlog/postgres.js'
import { schemaVersion } from '../../../src/platform/eventlog/postgres-schema.js'
import { freshPostgresDatabase } from '../../support/postgres.js'
import { waitUntil } from '../../support/wait.js'
import { eventLogContract } from './contract.js'

// The PostgreSQL log passes the contract of every log, and keeps it with several processes ("nodes") on one
// database: each PostgresEventLog below stands for one.

const event = (data: unknown = {}): NewEvent => ({ id: randomUUID(), type: 'E', data, metadata: { actor: 'tester' } })

async function open(t: Test, connectionString: string, options: Partial<PostgresEventLogOptions> = {}): Promise<PostgresEventLog> {
  const log = await PostgresEventLog.open({ connectionString, ...options })
  t.teardown(() => log.close())
  return log
}

async function query<R extends pg.QueryResultRow>(connectionString: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}

/** Shows `see` each query any pg client sends (its text, and its arguments to change) until the test ends. */
function spyOnQueries(t: Test, see: (text: string, args: unknown[]) => void): void {
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    see(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text, args)
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query
  t.teardown(() => {
    pg.Client.prototype.query = query
  })
}

const appendBatch = 'SELECT lod_append_batch($1::jsonb) AS reply'
const listener = "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN lod_log'"

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

t.test('contract', async (t) => {
  eventLogContract(t, async (rules) => PostgresEventLog.open({ connectionString: await freshPostgresDatabase(), ...(rules && { rules }) }))
})

t.test('two nodes appending at once: positions gap-free, nothing lost, every event delivered once on both', async (t) => {
  const url = await freshPostgresDatabase()
  // Hardly any polling: the nodes hear of each other's commits through notifications alone.
  const nodes = [await open(t, url, { pollIntervalMs: 60_000 }), await open(t, url, { pollIntervalMs: 60_000 })]
  const seen = nodes.map((node) => {
    const positions: number[] = []
    node.subscribe(0, (batch) => positions.push(...batch.map((e) => e.position)))
    return positions
  })
  const ids: string[] = []
  let sharedAppends = 0
  let refusedInBursts = 0
  await Promise.all(
    nodes.map(async (node, n) => {
      for (let round = 0; round < 30; round++) {
        // A burst of appends in one turn (one group commit), some of them racing the other node on one stream.
        const burst = Array.from({ length: 1 + ((round * 7 + n) % 12) }, (_, i) => {
          const events = [event({ n, round, i }), event()]
          ids.push(...events.map((e) => e.id))
          return node.append(`s-${n}-${round}-${i}`, events, 'no_stream')
        })
        const shared = node.readStream('shared').then((stream) => node.append('shared', [event()], stream.length - 1))
        const results = await Promise.allSettled([...burst, shared])
        refusedInBursts += results.slice(0, -1).filter((r) => r.status === 'rejected').length
        if (results[results.length - 1]!.status === 'fulfilled') sharedAppends++
      }
    }),
  )
  t.equal(refusedInBursts, 0, 'every append to a new stream committed')
  const [stats] = await query<{ count: number; max: number; head: number }>(
    url,
    'SELECT count(*)::int AS count, max(position)::int AS max, (SELECT position::int FROM log_head) AS head FROM events',
  )
  const total = ids.length + sharedAppends
  t.same(stats, { count: total, max: total, head: total }, 'count = max(position) = head')
  const all = await nodes[0]!.readAll(0, total + 1)
  t.same(all.map((e) => e.position), upTo(total), 'read back without a hole')
  t.same(new Set(all.map((e) => e.id)).size, total)
  t.ok(ids.every((id) => all.some((e) => e.id === id)), 'every acknowledged event is there')
  t.same((await nodes[1]!.readStream('shared')).map((e) => e.version), Array.from({ length: sharedAppends }, (_, i) => i))
  for (const positions of seen) await waitUntil('both nodes to deliver everything', () => (positions.length >= total ? true : undefined), 3_000)
  t.same(seen[0], upTo(total), 'node 0 delivered each event once, in order')
  t.same(seen[1], upTo(total), 'node 1 delivered each event once, in order')
})

t.test("a subscriber on one node is woken by the other node's commits", async (t) => {
  const url = await freshPostgresDatabase()
  // No polling to speak of: only the notification can wake it in time.
  const reader = await open(t, url, { pollIntervalMs: 60_000 })
  const writer = await open(t, url)
  const seen: RecordedEvent[] = []
  reader.subscribe(0, (batch) => seen.push(...batch))
  await waitUntil('the listening connection', async () => ((await query(url, listener)).length > 0 ? true : undefined))
  await writer.append('s-1', [event()], 'no_stream')
  await writer.append('s-2', [event(), event()], 'no_stream')
  await waitUntil('the other node to deliver', () => (seen.length === 3 ? true : undefined), 3_000)
  t.same(seen.map((e) => e.position), [1, 2, 3])
})

t.test('polling finds the commits whose notification was lost, and the listening connection comes back', async (t) => {
  const url = await freshPostgresDatabase()
  const failures: unknown[] = []
  const reader = await open(t, url, { pollIntervalMs: 100, onConnectionError: (error) => failures.push(error) })
  const writer = await open(t, url)
  const seen: RecordedEvent[] = []
  reader.subscribe(0, (batch) => seen.push(...batch))
  await waitUntil('the listening connection', async () => ((await query(url, listener)).length > 0 ? true : undefined))
  await query(url, `SELECT pg_terminate_backend(pid) FROM (${listener}) AS l`)
  await writer.append('s-1', [event()], 'no_stream')
  await waitUntil('the poll to deliver', () => (seen.length === 1 ? true : undefined), 3_000)
  await waitUntil('a new listening connection', async () => ((await query(url, listener)).length > 0 ? true : undefined), 3_000)
  t.ok(failures.length > 0, 'the lost connection was reported')
  await writer.append('s-2', [event()], 'no_stream')
  await waitUntil('the next delivery', () => (seen.length === 2 ? true : undefined), 3_000)
  t.same(seen.map((e) => e.position), [1, 2])
})

t.test("the other node's commit heard while this node commits is delivered when this commit is over", async (t) => {
  const url = await freshPostgresDatabase()
  const [node, other] = [await open(t, url, { pollIntervalMs: 60_000 }), await open(t, url, { pollIntervalMs: 60_000 })]
  const seen: RecordedEvent[] = []
  node.subscribe(0, (batch) => seen.push(...batch))
  await waitUntil('the listening connection', async () => ((await query(url, listener)).length > 0 ? true : undefined))
  // The node's first commit is over in PostgreSQL, but its reply is held until the other node's commit is heard of.
  let release: (() => void) | undefined
  spyOnQueries(t, (text, args) => {
    if (text !== appendBatch || release) return
    const reply = args[2] as (...result: unknown[]) => void
    const held = new Promise<void>((resolve) => (release = resolve))
    args[2] = (...result: unknown[]) => void held.then(() => reply(...result))
  })
  const held = node.append('mine', [event()], 'no_stream')
  await waitUntil('the commit', async () => ((await query(url, 'SELECT 1 FROM events')).length > 0 ? true : undefined))
  await other.append('theirs', [event()], 'no_stream')
  await new Promise((resolve) => setTimeout(resolve, 300))
  release!()
  await held
  await waitUntil("the other node's commit", () => (seen.length === 2 ? true : undefined), 3_000)
  t.same(seen.map((e) => e.stream), ['mine', 'theirs'])
})

t.test('a group commit is one round trip: the appends queued during a commit go together in the next', async (t) => {
  const log = await open(t, await freshPostgresDatabase())
  await log.append('warm-up', [event()], 'no_stream')
  const texts: string[] = []
  let spying = true
  spyOnQueries(t, (text) => spying && texts.push(text))
  const first = log.append('s-0', [event()], 'no_stream')
  // Its reply is read in a later turn of the event loop than the one that sees the query sent.
  for (let turn = 0; turn < 1000 && texts.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve))
  t.equal(texts.length, 1, 'the first commit is in flight')
  const queued = Array.from({ length: 10 }, (_, i) => log.append(`s-${i + 1}`, [event(), event()], 'no_stream'))
  const refused = log.append('warm-up', [event()], 'no_stream')
  const results = await Promise.all([first, ...queued])
  await t.rejects(refused)
  spying = false
  t.same(texts, [appendBatch, appendBatch])
  t.same(results.map((r) => r.position), [2, ...Array.from({ length: 10 }, (_, i) => 4 + 2 * i)])
})

t.test('the schema is created once when several logs open a new database at once, and kept on reopening', async (t) => {
  const url = await freshPostgresDatabase()
  const logs = await Promise.all(Array.from({ length: 4 }, () => PostgresEventLog.open({ connectionString: url })))
  for (const log of logs) t.teardown(() => log.close())
  await logs[0]!.append('s-1', [event()], 'no_stream')
  t.equal((await logs[3]!.readStream('s-1')).length, 1)
  await open(t, url)
  t.same(await query(url, 'SELECT version FROM schema_version ORDER BY version'), upTo(schemaVersion).map((version) => ({ version })))
})

t.test('a database whose schema is newer than this code is refused', async (t) => {
  const url = await freshPostgresDatabase()
  await (await PostgresEventLog.open({ connectionString: url })).close()
  await query(url, `INSERT INTO schema_version (version) VALUES (${schemaVersion + 1})`)
  await t.rejects(
    PostgresEventLog.open({ connectionString: url }),
    new RegExp(`schema is at version ${schemaVersion + 1}, this code knows versions up to ${schemaVersion}`),
  )
})

t.test('an append PostgreSQL refuses whole fails alone in its group commit', async (t) => {
  const log = await open(t, await freshPostgresDatabase())
  const twice = event()
  const results = await Promise.allSettled([
    log.append('s-1', [event()], 'no_stream'),
    log.append('s-2', [twice, twice], 'no_stream'),
    log.append('s-3', [event()], 'no_stream'),
  ])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  t.match((results[1] as PromiseRejectedResult).reason, { message: /duplicate key/ })
  t.same((await log.readAll(0, 10)).map((e) => e.stream), ['s-1', 's-3'])
})

t.test('data and metadata are stored as the JSON text the SQLite log stores', async (t) => {
  const url = await freshPostgresDatabase()
  const log = await open(t, url)
  const data = { z: 1, a: [1.5, 'é', null], nested: { b: true, a: '\u0000' } }
  await log.append('s-1', [{ ...event(data), metadata: { actor: 'x', request_id: 'r' } }], 'no_stream')
  const [row] = await query<{ data: string; metadata: string }>(url, 'SELECT data, metadata FROM events')
  t.equal(row!.data, JSON.stringify(data))
  t.equal(row!.metadata, '{"actor":"x","request_id":"r"}')
  t.same((await log.readStream('s-1'))[0]!.data, data)
})
