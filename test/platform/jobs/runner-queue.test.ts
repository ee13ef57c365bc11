import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import type { EventLog } from '../../../src/platform/eventlog/port.js'
import { PostgresEventLog } from '../../../src/platform/eventlog/postgres.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { JobAbandoned, JobDeferred, JobNotReady, type JobRuntime } from '../../../src/platform/jobs/context.js'
import type { JobSet } from '../../../src/platform/jobs/job-set.js'
import { PostgresJobQueue } from '../../../src/platform/jobs/postgres-queue.js'
import type { JobQueue } from '../../../src/platform/jobs/queue.js'
import { ReactorRunner, type ReactorRunnerOptions } from '../../../src/platform/jobs/runner.js'
import { SqliteJobQueue } from '../../../src/platform/jobs/sqlite-queue.js'
import { freshPostgresDatabase } from '../../support/postgres.js'
import { waitUntil } from '../../support/wait.js'
import { asking, asks, sleep } from './queue-contract.js'

// The runner as a worker on the job queue, on both logs: a bounded number of jobs at a time, one at a time per
// stream in the order asked for; a job whose worker stops heartbeating is taken over and its old run can no
// longer write; a stopped worker hands its jobs back; a job not ready yet is tried again shortly, a deferred one after
// its delay; on PostgreSQL,
// workers on two nodes do every job exactly once.

interface Job {
  runtime: JobRuntime
  id: string
  /** Appends `what` to the job's stream, under its lease. */
  record(what: string): Promise<void>
}

type Work = (job: Job, arg: string) => Promise<void>

const stream = (id: string) => `s-${id}`

function jobSet(log: EventLog, work: Record<string, Work>, failed?: (job: Job, error: unknown) => Promise<void>): JobSet<Job> {
  return {
    jobs: Object.fromEntries(Object.entries(work).map(([kind, run]) => [kind, { reactor: 'tester', run, ...(failed && { failed }) }])),
    context: (runtime, id) => ({
      runtime,
      id,
      record: async (what) => {
        await log.append(stream(id), [{ id: randomUUID(), type: 'Did', data: { what }, metadata: { actor: 'tester' } }], 'any', {
          ...(runtime.lease && { lease: runtime.lease }),
        })
      },
    }),
    unfinished: async () => [],
  }
}

const did = async (log: EventLog, id: string) =>
  (await log.readStream(stream(id))).filter((e) => e.type === 'Did').map((e) => (e.data as { what: string }).what)

interface Node {
  log: EventLog
  queue: JobQueue
}

function runner(t: Test, node: Node, set: JobSet<Job>, options: Partial<ReactorRunnerOptions> = {}): ReactorRunner {
  const reactors = new ReactorRunner({
    jobs: [set as JobSet],
    queue: node.queue,
    asks,
    worker: 'w',
    runtime: { secrets: undefined as never, settings: undefined as never },
    concurrency: 4,
    pollMs: 50,
    onError: () => undefined,
    ...options,
  })
  t.teardown(() => reactors.close())
  return reactors
}

const adapters: Record<string, (t: Test, connectionString?: string) => Promise<Node>> = {
  SQLite: async (t) => {
    const log = new SqliteEventLog({ path: ':memory:', jobs: asks })
    t.teardown(() => log.close())
    return { log, queue: new SqliteJobQueue(log) }
  },
  PostgreSQL: async (t, connectionString) => {
    const log = await PostgresEventLog.open({ connectionString: connectionString ?? (await freshPostgresDatabase()), jobs: asks, pollIntervalMs: 50 })
    t.teardown(() => log.close())
    return { log, queue: new PostgresJobQueue(log) }
  },
}

for (const [name, open] of Object.entries(adapters))
  t.test(name, async (t) => {
    t.test('no more jobs at a time than its concurrency, one at a time per stream, in the order asked for', async (t) => {
      const node = await open(t)
      let running = 0
      let most = 0
      const work: Work = async (job, arg) => {
        running++
        most = Math.max(most, running)
        await job.record(`begin ${arg}`)
        await sleep(30)
        await job.record(`end ${arg}`)
        running--
      }
      const reactors = runner(t, node, jobSet(node.log, { work }), { concurrency: 3 })
      await reactors.start(node.log)
      for (let i = 0; i < 4; i++) for (const id of ['a', 'b', 'c', 'd']) await node.log.append(stream(id), [asking('work', String(i))], 'any')
      await reactors.idle()
      t.equal(most, 3)
      for (const id of ['a', 'b', 'c', 'd'])
        t.same(await did(node.log, id), ['0', '1', '2', '3'].flatMap((i) => [`begin ${i}`, `end ${i}`]), `stream ${id}: one after the other`)
      t.match(reactors.jobCounts(), { queued: 0, running: 0, done: 16, failed: 0 })
    })

    t.test("a job whose heartbeats stop is taken over; its old run can no longer write, and a heartbeating one keeps it", async (t) => {
      const node = await open(t)
      const slow: Work = async (job) => {
        await job.record('begin')
        await sleep(400)
        await job.record('end')
      }
      // A worker whose heartbeats never reach the queue (a stalled process, a lost connection).
      // One job at a time: it cannot claim the job again while its first run goes on.
      const stalledQueue: JobQueue = Object.assign(Object.create(node.queue) as JobQueue, { heartbeat: async () => true })
      const stalled = runner(t, { ...node, queue: stalledQueue }, jobSet(node.log, { slow }), { worker: 'stalled', leaseMs: 150, concurrency: 1 })
      await stalled.start(node.log)
      await node.log.append(stream('1'), [asking('slow')], 'no_stream')
      await waitUntil('the first run', async () => (await did(node.log, '1')).length === 1)
      const healthy = runner(t, node, jobSet(node.log, { slow }), { worker: 'healthy', leaseMs: 150 })
      await healthy.start(node.log)
      await healthy.idle()
      await stalled.idle()
      t.same(await did(node.log, '1'), ['begin', 'begin', 'end'], 'the first run wrote nothing once its lease was gone; the second, 400 ms long, kept its lease')
      t.match(stalled.jobCounts(), { abandoned: 1, done: 0 })
      t.match(healthy.jobCounts(), { done: 1 })
    })

    t.test("a worker that stops hands its running jobs back; one started again under a killed one's name takes back what it held", async (t) => {
      const node = await open(t)
      let runs = 0
      const waitForStop: Work = async (job) => {
        runs++
        while (!job.runtime.stopping()) await sleep(10)
        throw new JobAbandoned('service stopping')
      }
      const first = runner(t, node, jobSet(node.log, { waitForStop }))
      await first.start(node.log)
      await node.log.append(stream('1'), [asking('waitForStop')], 'no_stream')
      await waitUntil('the first run', () => runs === 1)
      await first.close()
      t.same(await node.queue.counts(), { queued: 1, running: 0 }, 'queued again')

      // Claimed by a worker that was then killed: its name's next life need not wait for the lease to expire.
      t.ok(await node.queue.claim('killed', 60_000))
      const other = runner(t, node, jobSet(node.log, { waitForStop }), { worker: 'other' })
      await other.start(node.log)
      await sleep(200)
      t.equal(runs, 1, 'held by the killed worker')
      await other.close()
      const again = runner(t, node, jobSet(node.log, { waitForStop }), { worker: 'killed' })
      await again.start(node.log)
      await waitUntil('the run of the worker started again', () => runs === 2)
    })

    t.test('a job not ready yet is tried again shortly; a failed one ends as its job set says', async (t) => {
      const node = await open(t)
      let ready = false
      let tries = 0
      const failures: string[] = []
      const set = jobSet(
        node.log,
        {
          waits: async (job) => {
            tries++
            if (!ready) throw new JobNotReady('not yet')
            await job.record('done')
          },
          breaks: async () => {
            throw new Error('broken')
          },
        },
        async (job, error) => {
          failures.push(`${job.id}: ${(error as Error).message}`)
          await job.record('failed')
        },
      )
      const reactors = runner(t, node, set)
      await reactors.start(node.log)
      await node.log.append(stream('1'), [asking('waits')], 'no_stream')
      await node.log.append(stream('2'), [asking('breaks')], 'no_stream')
      await sleep(300)
      t.same(await did(node.log, '1'), [])
      ready = true
      await reactors.idle()
      t.same(await did(node.log, '1'), ['done'])
      t.ok(tries >= 2 && tries <= 6, `tried again every 100 ms or so (${tries} tries)`)
      t.same(failures, ['2: broken'])
      t.same(await did(node.log, '2'), ['failed'])
      t.match(reactors.jobCounts(), { done: 1, failed: 1, queued: 0 })
    })

    t.test('a deferred job runs again after its delay, before the later jobs of its stream; other streams go on meanwhile', async (t) => {
      const node = await open(t)
      let tries = 0
      const set = jobSet(node.log, {
        later: async (job) => {
          tries++
          await job.record(`try ${tries}`)
          if (tries < 3) throw new JobDeferred(300)
        },
        next: async (job, arg) => job.record(arg),
      })
      const reactors = runner(t, node, set)
      await reactors.start(node.log)
      await node.log.append(stream('1'), [asking('later'), asking('next', 'after')], 'no_stream')
      await node.log.append(stream('2'), [asking('next', 'elsewhere')], 'no_stream')
      await waitUntil('the other stream', async () => (await did(node.log, '2')).length === 1)
      t.notOk((await did(node.log, '1')).includes('after'), 'the later job of the deferred one\'s stream waits')
      await reactors.idle()
      t.same(await did(node.log, '1'), ['try 1', 'try 2', 'try 3', 'after'])
    })
  })

t.test('PostgreSQL: workers on two nodes do each job exactly once, one at a time per stream', async (t) => {
  const url = await freshPostgresDatabase()
  const nodes = [await adapters.PostgreSQL!(t, url), await adapters.PostgreSQL!(t, url)]
  const ranOn: Array<Record<string, number>> = [{}, {}]
  const reactors = nodes.map((node, n) => {
    const work: Work = async (job, arg) => {
      ranOn[n]![arg] = (ranOn[n]![arg] ?? 0) + 1
      await job.record(`begin ${arg}`)
      await sleep(Math.random() * 10)
      await job.record(`end ${arg}`)
    }
    return runner(t, node, jobSet(node.log, { work }), { worker: `node-${n}`, concurrency: 3 })
  })
  for (const [n, runner] of reactors.entries()) await runner.start(nodes[n]!.log)
  const streams = Array.from({ length: 8 }, (_, i) => String(i))
  const jobs = Array.from({ length: 64 }, (_, i) => ({ id: streams[i % 8]!, arg: String(i) }))
  await Promise.all(jobs.map(({ id, arg }, i) => nodes[i % 2]!.log.append(stream(id), [asking('work', arg)], 'any')))
  await Promise.all(reactors.map((runner) => runner.idle()))
  const runs = jobs.map(({ arg }) => (ranOn[0]![arg] ?? 0) + (ranOn[1]![arg] ?? 0))
  t.same(runs, jobs.map(() => 1), 'each job ran once')
  t.ok(Object.keys(ranOn[0]!).length > 0 && Object.keys(ranOn[1]!).length > 0, 'on both nodes')
  for (const id of streams) {
    const records = await did(nodes[0]!.log, id)
    const asked = (await nodes[0]!.log.readStream(stream(id))).filter((e) => e.type === 'Asks').map((e) => (e.data as { arg: string }).arg)
    t.same(records, asked.flatMap((arg) => [`begin ${arg}`, `end ${arg}`]), `stream ${id}: one at a time, in the order asked for`)
  }
})
