import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { NewEvent, RecordedEvent } from '../../../src/platform/eventlog/port.js'
import { PostgresEventLog, type PostgresEventLogOptions } from '../../../src/platform/eventlog/postgres.js'
import { NoPrimaryError, PrimaryLostError } from '../../../src/platform/eventlog/postgres-primary.js'
import { startPrimaryAndStandby, type PostgresServer } from '../../support/postgres-standby.js'
import { superuser } from '../../support/postgres.js'
import { waitUntil } from '../../support/wait.js'

// The PostgreSQL log given a primary and its synchronous hot standby as hosts: it writes to the primary whatever the
// order, and when the primary is killed and the standby promoted, it carries on there with nothing acknowledged lost.

const pair = await startPrimaryAndStandby()
t.teardown(() => pair.stop())

const event = (data: unknown = {}): NewEvent => ({ id: randomUUID(), type: 'E', data, metadata: { actor: 'tester' } })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

async function open(t: Test, connectionString: string, options: Partial<PostgresEventLogOptions> = {}): Promise<PostgresEventLog> {
  const log = await PostgresEventLog.open({ connectionString, ...options })
  t.teardown(() => log.close())
  return log
}

async function query<R extends pg.QueryResultRow>(server: PostgresServer, database: string, text: string): Promise<R[]> {
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: superuser, database })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}

const listeners = "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN lod_log' AND datname = current_database()"

/** A host that accepts connections and never answers, as a stalled machine would. */
async function silentHost(t: Test): Promise<PostgresServer> {
  const socketDir = mkdtempSync(join(tmpdir(), 'lod-test-silent-'))
  const sockets: Socket[] = []
  const server = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => server.listen(join(socketDir, '.s.PGSQL.5432'), resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
    rmSync(socketDir, { recursive: true, force: true })
  })
  return { socketDir, port: 5432 }
}

t.test('the primary is found whatever the order of the hosts, past a host that is down or never answers', async (t) => {
  const database = await pair.freshDatabase()
  const log = await open(t, pair.connectionString(database, [pair.standby, pair.primary]))
  log.subscribe(0, () => undefined)
  await log.append('s-1', [event()], 'no_stream')
  t.same(await query(pair.primary, database, 'SELECT stream FROM events'), [{ stream: 's-1' }], 'written to the primary')
  await waitUntil('the listening connection on the primary', async () => (await query(pair.primary, database, listeners)).length > 0)

  const down = { socketDir: join(tmpdir(), `lod-test-no-server-${randomUUID()}`), port: 5432 }
  const silent = await silentHost(t)
  const started = Date.now()
  const past = await open(t, pair.connectionString(database, [down, silent, pair.standby, pair.primary]))
  t.ok(Date.now() - started < 4_000, 'opened without waiting out the silent host (connect_timeout: 5 s by default)')
  t.same((await past.readStream('s-1')).length, 1)

  const timedOut = Date.now()
  await t.rejects(
    PostgresEventLog.open({ connectionString: `${pair.connectionString(database, [down, silent, pair.standby])}&connect_timeout=1` }),
    {
      name: 'NoPrimaryError',
      message: new RegExp(`no PostgreSQL primary among the hosts: ${down.socketDir}:5432: connect ENOENT .*; ` +
        `${silent.socketDir}:5432: .*timeout.*; ${pair.standby.socketDir}:5433: in recovery \\(a standby\\)`),
    },
  )
  t.ok(Date.now() - timedOut < 3_000, 'a host that never answers is given up after connect_timeout')
})

t.test('failover under load: the primary killed, the standby promoted, nothing acknowledged lost', async (t) => {
  const database = await pair.freshDatabase()
  const url = pair.connectionString(database, [pair.primary, pair.standby])
  // The lost connections are reported while the primary is gone; they are expected here.
  const options = { pollIntervalMs: 100, onConnectionError: () => undefined }
  const log = await open(t, url, options)
  const otherNode = await open(t, url, options)
  const delivered = [log, otherNode].map((node) => {
    const events: RecordedEvent[] = []
    node.subscribe(0, (batch) => events.push(...batch))
    return events
  })

  // Each writer is a client appending to a stream of its own, retrying an append that failed for want of a primary
  // with the same events (as a client does with its Idempotency-Key) until it is acknowledged. Any other failure
  // stops it.
  const acknowledged = new Map<string, string[]>()
  const failures: unknown[] = []
  const unexpected: unknown[] = []
  let ackedEvents = 0
  const ackTimes: number[] = []
  let promotedAt: number | undefined
  let stopping = false
  const writers = Array.from({ length: 8 }, async (_, n) => {
    const stream = `writer-${n}`
    const ids: string[] = []
    acknowledged.set(stream, ids)
    let afterPromotion = 0
    while (!stopping || afterPromotion === 0) {
      const events = Array.from({ length: 1 + ((ids.length + n) % 3) }, () => event({ n }))
      for (;;) {
        try {
          await log.append(stream, events, ids.length === 0 ? 'no_stream' : ids.length - 1)
          break
        } catch (error) {
          if (!(error instanceof PrimaryLostError || error instanceof NoPrimaryError)) return void unexpected.push(error)
          failures.push(error)
          await sleep(10)
        }
      }
      ids.push(...events.map((e) => e.id))
      ackedEvents += events.length
      ackTimes.push(Date.now())
      if (promotedAt !== undefined) afterPromotion++
    }
  })

  await waitUntil('appends acknowledged before the kill', () => ackedEvents >= 600, 30_000)
  // The standby lags when the primary is lost: what the primary acknowledged meanwhile must still be on it.
  const release = await pair.holdReplication()
  await sleep(200)
  await pair.killPrimary()
  const killedAt = Date.now()
  release()
  await sleep(300)
  promotedAt = Date.now()
  await pair.promoteStandby()
  const ackedAtPromotion = ackedEvents
  await waitUntil('appends acknowledged by the new primary', () => ackedEvents >= ackedAtPromotion + 600 || unexpected.length > 0, 30_000)
  stopping = true
  await Promise.all(writers)

  const newPrimary = pair.standby
  const [stats] = await query<{ count: number; max: number; head: number }>(
    newPrimary,
    database,
    'SELECT count(*)::int AS count, max(position)::int AS max, (SELECT position::int FROM log_head) AS head FROM events',
  )
  const all = await log.readAll(0, stats!.count + 1)
  const stored = new Set(all.map((e) => e.id))
  const lost = [...acknowledged.values()].flat().filter((id) => !stored.has(id))
  // The longest time no append was acknowledged.
  const outage = Math.max(...ackTimes.slice(1).map((time, i) => time - ackTimes[i]!))
  t.comment(
    `failover: acknowledged ${ackedEvents} events, lost ${lost.length}, positions 1..${stats!.max} ` +
      `${stats!.count === stats!.max && stats!.max === stats!.head ? 'gap-free' : `NOT gap-free (count ${stats!.count}, head ${stats!.head})`}, ` +
      `outage ~${outage} ms (replication held 200 ms before the kill, the standby promoted ${promotedAt - killedAt} ms after it; ${failures.length} ` +
      'appends refused meanwhile, and retried)',
  )
  t.same(lost, [], 'no acknowledged event lost')
  t.same(stats, { count: ackedEvents, max: ackedEvents, head: ackedEvents }, 'count = max(position) = head = the events acknowledged')
  t.same(all.map((e) => e.position), upTo(ackedEvents), 'read back without a hole')
  t.equal(stored.size, all.length, 'no event id twice')
  for (const [stream, ids] of acknowledged) t.same((await log.readStream(stream)).map((e) => e.id), ids, `${stream}: what was acknowledged, in order`)
  t.ok(failures.length > 0, 'appends failed while there was no primary')
  t.same(unexpected, [], 'and failed saying so, and only then')
  for (const [node, events] of delivered.entries()) {
    await waitUntil(`node ${node} to deliver everything`, () => events.length >= ackedEvents, 10_000)
    t.same(events.map((e) => e.id), all.map((e) => e.id), `node ${node}'s subscriber saw every event once, in order`)
  }
  await waitUntil('both nodes listening on the new primary', async () => (await query(newPrimary, database, listeners)).length === 2, 10_000)
})
