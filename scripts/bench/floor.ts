import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { logOptions } from '../../src/app/storage.js'
import { applicationJobAsks } from '../../src/applications/jobs/index.js'
import { instanceJobAsks } from '../../src/instances/jobs/index.js'
import { newEventId } from '../../src/platform/eventlog/event-ids.js'
import type { EventRow } from '../../src/platform/eventlog/recorded.js'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import { jobsAskedBy } from '../../src/platform/jobs/job-set.js'
import { loggerOptions } from '../../src/platform/http/logging.js'

// Two parts of a status POST measured alone, outside any HTTP server, on the core the servers run on: the durable
// append of the events the service's POSTs appended (copied from its log: the same rows, in fresh ids) in
// group commits of `group` appends, and the service's access-log line, written as `npm start` writes it. Added
// to Fastify answering a constant, they are less than the least a durable status POST can cost: `npm run bench`
// sets that against the CRUD server's whole request. Prints {"appendUs", "logLineUs"}: CPU time (user + system)
// per append and per line, and "appended": the events its log held at the end.
// Usage: floor.ts <the service's events.db> <group> [appends, default 20,000] [lines, default 50,000]

const [source, groupArg, appendsArg, linesArg] = process.argv.slice(2)
const group = Number(groupArg ?? 50)
const appends = Number(appendsArg ?? 20_000)
const lines = Number(linesArg ?? 50_000)

const posted = new Database(source!, { readonly: true, fileMustExist: true })
  .prepare<[number], EventRow>('SELECT * FROM events ORDER BY position DESC LIMIT ?')
  .all(appends)
if (posted.length === 0) throw new Error(`${source} holds no events`)

const cpuUs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return used.user + used.system
}

async function appendUs(): Promise<{ appendUs: number; appended: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lod-bench-floor-'))
  const log = new SqliteEventLog({ path: join(dir, 'events.db'), synchronous: 'full', ...logOptions(jobsAskedBy([instanceJobAsks, applicationJobAsks])) })
  try {
    let next = 0
    const commit = () =>
      Promise.all(
        Array.from({ length: group }, () => {
          const row = posted[next++ % posted.length]!
          const event = { id: newEventId(), type: row.type, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata) }
          return log.append(row.stream, [event], 'any')
        }),
      )
    // A log as long as the one copied, so that its indexes are as deep; then the measured appends.
    while (next < posted.length) await commit()
    next = 0
    const start = process.cpuUsage()
    while (next < appends) await commit()
    return { appendUs: cpuUs(start) / next, appended: await log.headPosition() }
  } finally {
    await log.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function logLineUs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lod-bench-floor-'))
  const destination = pino.destination({ dest: join(dir, 'output.log'), sync: false, minLength: 4096 })
  const { stream: _, ...options } = loggerOptions('info', destination) as pino.LoggerOptions & { stream: unknown }
  const logger = pino(options, destination)
  const write = (n: number) => {
    const request = { method: 'POST', url: `/api/lambda_instances/${posted[n % posted.length]!.stream.slice(9)}/status/`, ip: '127.0.0.1' }
    logger.child({ reqId: `req-${n}` }).info({ req: request, res: { statusCode: 202 }, responseTime: 1.5 }, 'request completed')
  }
  // In turns of the event loop, as requests are, so that the asynchronous writes go on between them.
  const turns = async (from: number, to: number) => {
    for (let n = from; n < to; n += 100) {
      for (let k = n; k < Math.min(n + 100, to); k++) write(k)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await turns(0, Math.min(10_000, lines))
  const start = process.cpuUsage()
  await turns(0, lines)
  const used = cpuUs(start) / lines
  destination.flushSync()
  destination.end()
  rmSync(dir, { recursive: true, force: true })
  return used
}

console.log(JSON.stringify({ ...(await appendUs()), logLineUs: await logLineUs() }))
