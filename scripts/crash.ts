import { describe, runCrashTest } from './crash/run.js'
import { startDurablePostgres, type DurablePostgres } from '../test/support/postgres-durable.js'

// `npm run test:crash`: the crash test at a size of your choosing (CI runs a small one in test/crash/).
// CRASH_COMMANDS (default 2000), CRASH_KILLS (SIGKILLs in all, default 20), CRASH_SEED (default 1),
// CRASH_CONCURRENCY (default 8), CRASH_UP_MS (time under load before each kill, "min-max", default 200-1500),
// CRASH_REACTORS=on (default off: on every node).
// CRASH_LOG=postgres: the log in a PostgreSQL of the run's own, durable (fsync on; PostgreSQL 15 installed), shared
// by CRASH_NODES nodes (default 3), each with a data directory (read models) of its own; the load goes to each node
// in turn, one node or now and then two at once are killed. CRASH_LOG=sqlite (the default): one node, its data
// directory holding the log.

const logs = ['sqlite', 'postgres']
const log = process.env.CRASH_LOG ?? 'sqlite'
if (!logs.includes(log)) throw new Error(`CRASH_LOG must be one of ${logs.join(', ')}, got ${log}`)
const nodes = Number(process.env.CRASH_NODES ?? (log === 'postgres' ? 3 : 1))
if (!Number.isInteger(nodes) || nodes < 1 || (log === 'sqlite' && nodes !== 1))
  throw new Error(`CRASH_NODES must be 1 on SQLite (one data directory, one node) and at least 1 on PostgreSQL, got ${nodes}`)

const [min, max] = (process.env.CRASH_UP_MS ?? '200-1500').split('-').map(Number)
let postgres: DurablePostgres | undefined
try {
  if (log === 'postgres') postgres = await startDurablePostgres()
  const report = await runCrashTest({
    commands: Number(process.env.CRASH_COMMANDS ?? 2000),
    kills: Number(process.env.CRASH_KILLS ?? 20),
    seed: Number(process.env.CRASH_SEED ?? 1),
    concurrency: Number(process.env.CRASH_CONCURRENCY ?? 8),
    upMs: [min!, max!],
    reactors: process.env.CRASH_REACTORS === 'on',
    ...(postgres && { postgres: { databaseUrl: postgres.connectionString, nodes } }),
    progress: (line) => console.log(line),
  })
  for (const line of describe(report)) console.log(line)
  const failed = report.lost.length + report.duplicated.length + report.refusedButStored.length + report.readModelDifferences.length
  process.exitCode = failed === 0 ? 0 : 1
} finally {
  await postgres?.stop()
}
