import { LeaseLostError, type EventLog, type JobsAskedFor, type Subscription } from '../eventlog/port.js'
import { JobAbandoned, JobDeferred, JobNotReady, type JobRuntime } from './context.js'
import type { Job, JobSet, PendingJob } from './job-set.js'
import type { ClaimedJob, JobQueue } from './queue.js'

// Runs the jobs of the slices' job sets (job-set.ts; the composition root gives the list), as this process's
// worker on the log's job queue (queue.ts): the log queues a job with the event that asks for it; the runner
// claims jobs (the queue gives them one at a time per stream, in the order they were asked for, to whichever
// worker claims first), a bounded number at a time, and holds each with a lease it renews while the job runs. A
// job that lost its lease stops: what it records is refused, and the worker that has the job now does it. Every job
// picks up from the last step it recorded, and does nothing if nothing is left.
//
// It looks for jobs when a commit asks for one (this process's, or another's the log delivers), when one of its
// jobs ends, and every `pollMs` (leases that expired; jobs queued where the log delivers no commit).

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'abandoned'

/** What a log written before it had a job table left undone, job set by job set in the order given. */
export async function unfinishedJobs(sets: readonly JobSet[]): Promise<PendingJob[]> {
  const found: PendingJob[] = []
  for (const set of sets) found.push(...(await set.unfinished()))
  return found
}

export interface ReactorRunnerOptions {
  /** The slices' jobs; what a log written before it had a job table left undone is looked for in this order. */
  jobs: readonly JobSet[]
  queue: JobQueue
  /** Which events ask for jobs (what the log writes them by): their commits send the runner to the queue. */
  asks: JobsAskedFor
  /** This worker's name, the same across its restarts: what it held when it last ended (killed) is queued again
   *  when it starts, instead of waiting for the leases to expire. */
  worker: string
  runtime: Omit<JobRuntime, 'stopping' | 'lease' | 'justAsked'>
  concurrency: number
  /** How long a job is held without a heartbeat (30 s by default); heartbeats come three times as often. */
  leaseMs?: number
  /** How often the queue is looked at without being told (1 s by default). */
  pollMs?: number
  /** A failed job (`job`), or a failed call of the queue. */
  onError?: (error: unknown, job?: PendingJob) => void
}

/** How long a job waits for what its request keeps after the commit (the owner's token), and how often it looks. */
const justAskedMs = 30_000
const notReadyDelayMs = 100

interface Definition {
  set: JobSet
  job: Job<unknown>
}

/** How a run ended. Over: done, failed, or nothing left to do (the instance moved on). To be run again: the
 *  service stops, the job lost its lease, it is not ready yet, or it is deferred (to run again after a delay). */
type Ending = 'done' | 'failed' | 'abandoned' | 'stopped' | 'lost' | 'not ready' | 'deferred'

const counted: Record<Ending, JobState | undefined> = {
  done: 'done',
  failed: 'failed',
  abandoned: 'abandoned',
  stopped: 'abandoned',
  lost: 'abandoned',
  'not ready': undefined,
  deferred: undefined,
}

export class ReactorRunner {
  private readonly running = new Set<Promise<void>>()
  private readonly counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, abandoned: 0 }
  private readonly definitions = new Map<string, Definition>()
  private readonly leaseMs: number
  private subscription: Subscription | undefined
  private poll: NodeJS.Timeout | undefined
  private claiming: Promise<void> | undefined
  private lookAgain = false
  private stopping = false

  constructor(private readonly options: ReactorRunnerOptions) {
    this.leaseMs = options.leaseMs ?? 30_000
    for (const set of options.jobs)
      for (const [kind, job] of Object.entries(set.jobs)) {
        if (this.definitions.has(kind)) throw new Error(`two job sets define the job ${kind}`)
        this.definitions.set(kind, { set, job })
      }
  }

  /** Takes back what this worker held before it was last stopped, seeds the queue of a log written before it had
   *  a job table, and starts claiming. */
  async start(log: EventLog): Promise<void> {
    const head = await log.headPosition()
    this.subscription = log.subscribe(head, (events) => {
      if (events.some((event) => this.options.asks(event.stream, event.type, event.data))) this.wake()
    })
    await this.options.queue.releaseHeldBy(this.options.worker)
    await this.options.queue.seed(() => unfinishedJobs(this.options.jobs))
    this.poll = setInterval(() => this.wake(), this.options.pollMs ?? 1_000).unref()
    this.wake()
  }

  jobCounts(): Record<JobState, number> {
    return { ...this.counts, running: this.running.size }
  }

  /** Resolves when the queue holds no job and none runs here (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([this.claiming, ...this.running])
      const { queued, running } = await this.options.queue.counts()
      if (queued + running === 0 && this.running.size === 0 && !this.claiming) return
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Claims jobs until the slots are taken or none is claimable; a call while it does so makes it look once more. */
  private wake(): void {
    if (this.stopping) return
    if (this.claiming) {
      this.lookAgain = true
      return
    }
    this.claiming = this.claim().finally(() => {
      this.claiming = undefined
    })
  }

  private async claim(): Promise<void> {
    // Not within the log's delivery of the commit that woke the runner: after it.
    await Promise.resolve()
    do {
      this.lookAgain = false
      try {
        while (!this.stopping && this.running.size < this.options.concurrency) {
          const claimed = await this.options.queue.claim(this.options.worker, this.leaseMs)
          if (!claimed) break
          if (this.stopping) await this.options.queue.release(claimed.lease)
          else this.launch(claimed)
        }
        this.counts.queued = (await this.options.queue.counts()).queued
      } catch (error) {
        this.options.onError?.(error)
      }
    } while (this.lookAgain && !this.stopping)
  }

  private launch(claimed: ClaimedJob): void {
    const run: Promise<void> = this.run(claimed).finally(() => {
      this.running.delete(run)
      this.wake()
    })
    this.running.add(run)
  }

  private async run(claimed: ClaimedJob): Promise<void> {
    const { queue } = this.options
    const { lease } = claimed
    let lost = false
    const heartbeat = setInterval(() => {
      queue.heartbeat(lease, this.leaseMs).then(
        (held) => {
          if (!held) lost = true
        },
        (error: unknown) => this.options.onError?.(error),
      )
    }, this.leaseMs / 3)
    let ending: Ending
    let delayMs = notReadyDelayMs
    try {
      ;[ending, delayMs] = await this.attempt(claimed, {
        ...this.options.runtime,
        lease,
        justAsked: claimed.ageMs < justAskedMs,
        stopping: () => this.stopping || lost,
      })
    } finally {
      clearInterval(heartbeat)
    }
    // Stopped early because its lease expired: whoever takes it over does the rest (this worker, maybe).
    if (lost && ending !== 'done') ending = 'lost'
    const state = counted[ending]
    if (state) this.counts[state]++
    // Each of these changes nothing if another worker has taken the job over.
    try {
      if (ending === 'stopped' || ending === 'lost') await queue.release(lease)
      else if (ending === 'not ready' || ending === 'deferred') {
        await queue.release(lease, delayMs)
        // Past a timer's range (24.8 days) the poll finds it.
        if (delayMs < 2 ** 31) setTimeout(() => this.wake(), delayMs).unref()
      } else await queue.complete(lease)
    } catch (error) {
      // Its lease expires, and the job runs again: it finds nothing left to do.
      this.options.onError?.(error, claimed)
    }
  }

  /** How the run ended, and after how long a job that is to run again may be claimed again. */
  private async attempt(claimed: ClaimedJob, runtime: JobRuntime): Promise<[Ending, number]> {
    const ending = await this.ending(claimed, runtime)
    return typeof ending === 'number' ? ['deferred', ending] : [ending, notReadyDelayMs]
  }

  private async ending(claimed: ClaimedJob, runtime: JobRuntime): Promise<Ending | number> {
    const definition = this.definitions.get(claimed.kind)
    let context: unknown
    try {
      if (!definition) throw new Error(`no job set defines the job ${claimed.kind}`)
      context = definition.set.context(runtime, claimed.id, definition.job.reactor)
      await definition.job.run(context, claimed.arg)
      return 'done'
    } catch (error) {
      if (error instanceof LeaseLostError) return 'lost'
      if (error instanceof JobDeferred) {
        if (error.cause !== undefined) this.options.onError?.(error.cause, claimed)
        // Stopping or not: the delay is kept in the queue, for whichever worker runs the job next.
        return error.delayMs
      }
      if (error instanceof JobNotReady && !this.stopping) return 'not ready'
      if (!(error instanceof JobAbandoned)) this.options.onError?.(error, claimed)
      if (this.stopping) return 'stopped'
      if (error instanceof JobAbandoned) return 'abandoned'
      if (definition && context !== undefined) await this.endFailed(definition.job, context, claimed, error)
      return 'failed'
    }
  }

  /** Ends a failed job as its job set says (e.g. in a status with ~okeanos's words). */
  private async endFailed(job: Job<unknown>, context: unknown, claimed: ClaimedJob, error: unknown): Promise<void> {
    if (!job.failed) return
    try {
      await job.failed(context, error)
    } catch (recordError) {
      this.options.onError?.(recordError, claimed)
    }
  }

  /** Stops claiming; running jobs end at their next step, and are queued again for the next start or another worker. */
  async close(): Promise<void> {
    this.stopping = true
    clearInterval(this.poll)
    this.subscription?.close()
    await this.claiming
    while (this.running.size > 0) await Promise.all([...this.running])
  }
}
