import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { LeaseLostError, VersionConflictError, type EventLog, type JobsAskedFor, type NewEvent } from '../../../src/platform/eventlog/port.js'
import { streamId } from '../../../src/platform/streams.js'
import type { PendingJob } from '../../../src/platform/jobs/job-set.js'
import type { JobQueue } from '../../../src/platform/jobs/queue.js'

// The behaviour every job queue must have, with the log it lives in. An adapter's test file calls this with a
// factory of a fresh, empty log whose `Asks` events ask for a job (of kind `data.kind`, about `data.arg`), and one
// of a log that held events before it had a job table.

export interface QueuedLog {
  log: EventLog
  queue: JobQueue
}

export interface QueueFactories {
  fresh(jobs: JobsAskedFor): Promise<QueuedLog>
  /** A log holding `events` (stream, event) written before the log had a job table, opened by this code. */
  fromBeforeJobs(jobs: JobsAskedFor, events: Array<[string, NewEvent]>): Promise<QueuedLog>
}

export const asks: JobsAskedFor = (stream, type, data) => {
  if (type !== 'Asks') return undefined
  const { kind, arg } = data as { kind: string; arg?: string }
  return { id: streamId(stream), kind, ...(arg !== undefined && { arg }) }
}

export const asking = (kind = 'k', arg?: string): NewEvent => ({
  id: randomUUID(),
  type: 'Asks',
  data: { kind, ...(arg !== undefined && { arg }) },
  metadata: { actor: 'tester' },
})
const other = (): NewEvent => ({ id: randomUUID(), type: 'Other', data: {}, metadata: { actor: 'tester' } })

const lease = 30_000
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export function jobQueueContract(t: Test, make: QueueFactories): void {
  const fresh = async (t: Test) => {
    const queued = await make.fresh(asks)
    t.teardown(() => queued.log.close())
    return queued
  }

  t.test('an event that asks for a job commits its job with it; a refused append leaves none', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [other()], 'no_stream')
    t.equal(await queue.claim('w', lease), undefined, 'an event that asks for nothing queues nothing')
    // One group commit: the refused append's neighbours commit, with their jobs.
    const results = await Promise.allSettled([
      log.append('s-1', [asking('refused')], 'no_stream'),
      log.append('s-2', [other(), asking('build', 'x')], 'no_stream'),
      log.append('s-3', [asking('start')], 'no_stream'),
    ])
    t.same(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled'])
    t.type((results[0] as PromiseRejectedResult).reason, VersionConflictError)
    t.same(await queue.counts(), { queued: 2, running: 0 })
    const first = await queue.claim('w', lease)
    t.match(first, { id: '2', kind: 'build', arg: 'x', attempts: 1 })
    t.ok(first!.ageMs >= 0 && first!.ageMs < 10_000, 'its age')
    t.match(await queue.claim('w', lease), { id: '3', kind: 'start', arg: '' })
    t.equal(await queue.claim('w', lease), undefined)
    t.same(await queue.counts(), { queued: 0, running: 2 })
  })

  t.test('jobs are claimed oldest first, one at a time per stream', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-a', [asking('a1'), asking('a2')], 'no_stream')
    await log.append('s-b', [asking('b1')], 'no_stream')
    await log.append('s-a', [asking('a3')], 'any')
    const a1 = await queue.claim('w', lease)
    t.match(a1, { id: 'a', kind: 'a1' })
    t.match(await queue.claim('w', lease), { id: 'b', kind: 'b1' }, "a2 waits for a1: the next stream's job comes")
    t.equal(await queue.claim('w', lease), undefined)
    await queue.complete(a1!.lease)
    const a2 = await queue.claim('w', lease)
    t.match(a2, { id: 'a', kind: 'a2' })
    await queue.complete(a2!.lease)
    t.match(await queue.claim('w', lease), { id: 'a', kind: 'a3' })
  })

  t.test('an expired lease is taken over, and its old holder can no longer append, heartbeat or complete', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [asking()], 'no_stream')
    const old = (await queue.claim('w1', 100))!
    t.equal(await queue.claim('w2', lease), undefined, 'held')
    await log.append('s-1', [other()], 'any', { lease: old.lease })
    await sleep(150)
    await t.rejects(log.append('s-1', [other()], 'any', { lease: old.lease }), LeaseLostError, 'expired, even before anyone takes it over')
    const taken = await queue.claim('w2', lease)
    t.match(taken, { id: '1', kind: 'k', attempts: 2 })
    t.not(taken!.lease.token, old.lease.token)
    // The old holder's append fails alone in its group commit, and writes nothing.
    const results = await Promise.allSettled([
      log.append('s-1', [asking('more')], 'any', { lease: old.lease }),
      log.append('s-2', [other()], 'no_stream'),
    ])
    t.same(results.map((r) => r.status), ['rejected', 'fulfilled'])
    t.type((results[0] as PromiseRejectedResult).reason, LeaseLostError)
    t.same((await log.readStream('s-1')).map((e) => e.type), ['Asks', 'Other'], 'nothing of the old holder after its lease')
    t.same(await queue.counts(), { queued: 0, running: 1 }, 'nor its job')
    t.equal(await queue.heartbeat(old.lease, lease), false)
    await queue.complete(old.lease)
    await queue.release(old.lease)
    t.equal(await queue.claim('w3', lease), undefined, "the old holder's complete and release change nothing")
    await log.append('s-1', [other()], 'any', { lease: taken!.lease })
    await queue.complete(taken!.lease)
    await t.rejects(log.append('s-1', [other()], 'any', { lease: taken!.lease }), LeaseLostError, 'a job done holds no lease')
    t.same(await queue.counts(), { queued: 0, running: 0 })
  })

  t.test('heartbeats keep a lease', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [asking()], 'no_stream')
    const held = (await queue.claim('w1', 150))!
    for (let i = 0; i < 8; i++) {
      await sleep(50)
      t.equal(await queue.heartbeat(held.lease, 150), true)
      t.equal(await queue.claim('w2', lease), undefined)
    }
    await log.append('s-1', [other()], 'any', { lease: held.lease })
    t.equal((await log.readStream('s-1')).length, 2)
  })

  t.test('a released job is claimable again, at once or after its delay', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [asking()], 'no_stream')
    const first = (await queue.claim('w', lease))!
    await queue.release(first.lease)
    const second = (await queue.claim('w', lease))!
    t.match(second, { id: '1', attempts: 2 })
    await t.rejects(log.append('s-1', [other()], 'any', { lease: first.lease }), LeaseLostError, 'released: its lease is gone')
    await queue.release(second.lease, 200)
    t.same(await queue.counts(), { queued: 1, running: 0 })
    t.equal(await queue.claim('w', lease), undefined, 'not before its delay')
    await sleep(250)
    t.match(await queue.claim('w', lease), { id: '1', attempts: 3 })
  })

  t.test("a worker's jobs are released when it starts again under its name", async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [asking()], 'no_stream')
    await log.append('s-2', [asking()], 'no_stream')
    const held = (await queue.claim('w1', lease))!
    await queue.claim('w2', lease)
    await queue.releaseHeldBy('w3')
    t.equal(await queue.claim('w1', lease), undefined)
    await queue.releaseHeldBy('w1')
    t.match(await queue.claim('w1', lease), { id: held.id })
    t.equal(await queue.claim('w1', lease), undefined, "w2's job stays w2's")
  })

  t.test('a log written before it had a job table is seeded once, with what is found undone', async (t) => {
    const { log, queue } = await make.fromBeforeJobs(asks, [['s-1', asking()], ['s-2', other()]])
    t.teardown(() => log.close())
    t.equal(await queue.claim('w', lease), undefined, 'its events have no job rows')
    let looks = 0
    const found = async (): Promise<PendingJob[]> => {
      looks++
      return [{ id: '1', kind: 'k' }, { id: '2', kind: 'other', arg: 'y' }]
    }
    await log.append('s-3', [asking('new')], 'no_stream')
    // Two workers starting at once may both look; only one queues what it found.
    await Promise.all([queue.seed(found), queue.seed(found)])
    await queue.seed(found)
    t.ok(looks <= 2, 'not looked for once seeded')
    t.same(await queue.counts(), { queued: 3, running: 0 })
    const claimed = [await queue.claim('w', lease), await queue.claim('w', lease), await queue.claim('w', lease)]
    t.same(claimed.map((job) => job && [job.id, job.kind, job.arg]).sort(), [['1', 'k', ''], ['2', 'other', 'y'], ['3', 'new', '']])
  })

  t.test('a fresh log is never seeded', async (t) => {
    const { log, queue } = await fresh(t)
    await log.append('s-1', [asking()], 'no_stream')
    let looked = false
    await queue.seed(async () => {
      looked = true
      return []
    })
    t.equal(looked, false)
  })
}
