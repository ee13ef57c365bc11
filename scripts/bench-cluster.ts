import { randomBytes } from 'node:crypto'
import { cpus } from 'node:os'
import { demoUsers } from '../src/okeanos/emulator/index.js'
import { PostgresEventLog } from '../src/platform/eventlog/postgres.js'
import { combine, type Result } from './bench/measure.js'
import { startBenchPostgres } from './bench/postgres.js'
import { startChild, type ChildServer } from './bench/servers.js'
import { measureSteal } from './bench/steal.js'
import { registerInstance, statusUpdates } from './bench/status-updates.js'
import { appendRate, type AppendRate } from './bench-cluster/appends.js'
import { eventsPerCommit, headOf } from './bench-cluster/commits.js'
import { subscriptionLag } from './bench-cluster/lag.js'
import { throughThese, type NodeLoad } from './bench-cluster/throughput.js'

// `npm run bench:cluster`: the service on PostgreSQL beside the embedded SQLite node, in one run, on a PostgreSQL of
// its own with PostgreSQL's durable defaults. It prints:
// - the status-update POST's throughput and p50/p99 through one SQLite node, one PostgreSQL node and two PostgreSQL
//   nodes on one database, measured in turns (target: one PostgreSQL node ≥ 0.6× the SQLite node), with the nodes'
//   and PostgreSQL's CPU per request and the appends each PostgreSQL commit held;
// - the subscription lag: a status update acknowledged by node A until node B's Server-Sent Events stream delivers
//   it, p50/p99 (target p99 ≤ 25 ms);
// - the PostgreSQL log's appends/s by group size (appends in flight at once, in this process, no HTTP): what caps
//   the head row (docs/scale-out.md reads it);
// - the host's CPU steal during the run.
// BENCH_SECONDS (default 3) per run, BENCH_ROUNDS (default 3) runs of each, BENCH_CONNECTIONS (default 50, as npm run bench; in all,
// split across the nodes), BENCH_LAG_SAMPLES (default 300), BENCH_GROUPS (appends in flight, default 1,10,100).

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const lagSamples = Number(process.env.BENCH_LAG_SAMPLES ?? 300)
const groups = (process.env.BENCH_GROUPS ?? '1,10,100').split(',').map(Number)

const user = demoUsers()[0]!
const headers = { authorization: `Token ${user.token}`, 'content-type': 'application/json' }

interface Configuration {
  name: string
  loads: NodeLoad[]
  /** Nodes of the log stopped (SIGSTOP) while this one runs, so that they do not project its events meanwhile. */
  paused: ChildServer[]
  /** The PostgreSQL database of its log. */
  database?: string
}

interface Run {
  result: Result
  postgresCpuMs: number
  perCommit: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
const verdict = (met: boolean) => (met ? 'met' : 'missed')

const postgres = await startBenchPostgres()
const nodes: ChildServer[] = []
// A node left stopped (SIGSTOP) by a run cut short would never act on the Ctrl-C it was sent too.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const node of nodes) node.child.kill('SIGCONT')
    process.kill(process.pid, signal)
  })
const steal = measureSteal()
try {
  const database = await postgres.freshDatabase('bench_cluster')
  // As a user runs them: npm start's log level (to a file in its data directory), durable commits.
  const asUsersRun = { LOD_LOG_LEVEL: 'info', LOD_SYNC: 'full' }
  const apiOnly = { ...asUsersRun, LOD_DATABASE_URL: database, LOD_SECRET_KEY: randomBytes(32).toString('base64'), LOD_REACTORS: 'off' }
  const sqlite = await startChild('src/cli.ts', { ...asUsersRun, LOD_REACTORS: 'on' })
  nodes.push(sqlite)
  const a = await startChild('src/cli.ts', apiOnly)
  nodes.push(a)
  const b = await startChild('src/cli.ts', apiOnly)
  nodes.push(b)
  // Each node updates an instance of its own: a node's updates share its group commits, not the other's stream.
  const instances = new Map<ChildServer, string>()
  for (const node of nodes) instances.set(node, await registerInstance(node.url, headers, 'bench-cluster'))
  const loadOf = (node: ChildServer): NodeLoad => ({ node, load: statusUpdates([instances.get(node)!], headers) })
  const [onSqlite, onA, onB] = [loadOf(sqlite), loadOf(a), loadOf(b)]
  const configurations: Configuration[] = [
    { name: 'sqlite 1 node', loads: [onSqlite], paused: [] },
    { name: 'pg 1 node', loads: [onA], paused: [b], database },
    { name: 'pg 2 nodes', loads: [onA, onB], paused: [], database },
  ]

  /** Until every node's read models have what was committed: a GET waits for them (up to LOD_READ_WAIT_MS). */
  const settle = async () => {
    for (const node of nodes)
      for (;;) {
        const response = await fetch(`${node.url}/api/lambda-instances/${instances.get(node)}/`, { headers })
        if (response.ok) break
        if (response.status !== 503) throw new Error(`GET on ${node.url}: ${response.status} ${await response.text()}`)
      }
  }

  const run = async (configuration: Configuration, runSeconds: number): Promise<Run> => {
    for (const node of configuration.paused) node.child.kill('SIGSTOP')
    const from = configuration.database ? await headOf(configuration.database) : 0
    const cpuBefore = postgres.cpuMs()
    let result: Result
    try {
      result = await throughThese(configuration.loads, runSeconds, connections)
    } finally {
      for (const node of configuration.paused) node.child.kill('SIGCONT')
    }
    const postgresCpuMs = postgres.cpuMs() - cpuBefore
    const perCommit = configuration.database ? await eventsPerCommit(configuration.database, from, await headOf(configuration.database)) : 0
    await settle()
    return { result, postgresCpuMs, perCommit }
  }

  console.log(
    `bench:cluster: ${cpus().length} cores, shared by this process (the load), the nodes and PostgreSQL 15 (its defaults: ` +
      `fsync and synchronous_commit on; a Unix socket); ${rounds} rounds × ${seconds} s of each configuration, taken in turns; ` +
      `${connections} connections in all, split across a configuration's nodes; latencies: the slower node's`,
  )
  console.log(
    'bench:cluster: nodes as `npm start` runs them (log level info, LOD_SYNC=full): the SQLite node with its reactors on ' +
      '(the embedded default), the PostgreSQL nodes API-only (LOD_REACTORS=off, as in "Running several nodes"; no ' +
      '`lod reactors`: status updates ask for no job), each with its own LOD_DATA_DIR; node B is stopped (SIGSTOP) ' +
      'during the pg 1 node runs, or it would project their events meanwhile',
  )
  for (const configuration of configurations) await run(configuration, 1) // warm-up: the JIT, auth caches, connections
  const runs = new Map<Configuration, Run[]>(configurations.map((configuration) => [configuration, []]))
  for (let round = 0; round < rounds; round++)
    for (const configuration of configurations) runs.get(configuration)!.push(await run(configuration, seconds))

  const measured = new Map<Configuration, Result>()
  for (const configuration of configurations) {
    const all = runs.get(configuration)!
    const result = combine(all.map((r) => r.result))
    measured.set(configuration, result)
    const onPostgres = configuration.database
      ? `, PostgreSQL ${((all.reduce((sum, r) => sum + r.postgresCpuMs, 0) * 1000) / result.requests).toFixed(0)} µs/req, ` +
        `${mean(all.map((r) => r.perCommit)).toFixed(1)} appends per commit`
      : ''
    const failures = Object.entries(result.failures).map(([code, n]) => `${n}× ${code}`)
    console.log(
      `bench:cluster: status POST  ${configuration.name.padEnd(13)} ${result.rps.toFixed(0).padStart(6)} req/s  ` +
        `p50 ${String(result.p50).padStart(3)} ms  p99 ${String(result.p99).padStart(3)} ms  ` +
        `CPU: node ${result.cpuUs.toFixed(0)} µs/req${onPostgres}${failures.length > 0 ? `  (non-2xx: ${failures.join(', ')})` : ''}`,
    )
  }
  const rps = configurations.map((configuration) => measured.get(configuration)!.rps)
  const pgToSqlite = rps[1]! / rps[0]!
  const twoToOne = rps[2]! / rps[1]!
  console.log(
    `bench:cluster: status POST  ratio pg 1 node / sqlite 1 node ${pgToSqlite.toFixed(2)} (target ≥ 0.6: ${verdict(pgToSqlite >= 0.6)}); ` +
      `pg 2 nodes / pg 1 node ${twoToOne.toFixed(2)} (no target: ${cpus().length} cores in all)`,
  )

  const lags = await subscriptionLag(a, b, headers, lagSamples)
  const lagP99 = percentile(lags, 0.99)
  console.log(
    `bench:cluster: subscription lag  node A's 202 → node B's SSE event, one update at a time: p50 ${percentile(lags, 0.5).toFixed(1)} ms  ` +
      `p99 ${lagP99.toFixed(1)} ms  max ${lags.at(-1)!.toFixed(1)} ms over ${lags.length} updates (target p99 ≤ 25 ms: ${verdict(lagP99 <= 25)})`,
  )

  const appendsDatabase = await postgres.freshDatabase('bench_appends')
  const log = await PostgresEventLog.open({ connectionString: appendsDatabase })
  try {
    const rates = new Map<number, AppendRate[]>(groups.map((inFlight) => [inFlight, []]))
    for (const inFlight of groups) await appendRate(log, appendsDatabase, inFlight, 1) // warm-up
    for (let round = 0; round < rounds; round++)
      for (const inFlight of groups) rates.get(inFlight)!.push(await appendRate(log, appendsDatabase, inFlight, seconds))
    const cells = groups.map((inFlight) => {
      const all = rates.get(inFlight)!
      return `${inFlight} in flight ${mean(all.map((r) => r.perSecond)).toFixed(0)}/s (${mean(all.map((r) => r.perCommit)).toFixed(1)} per commit)`
    })
    console.log(`bench:cluster: PostgreSQL log appends/s by group size, one process, no HTTP: ${cells.join(' | ')}`)
  } finally {
    await log.close()
  }
  console.log(`bench:cluster: ${steal()}`)
} finally {
  await Promise.all(nodes.map((node) => node.stop()))
  await postgres.stop()
}
