import type { EventLog, RecordedEvent, Subscription } from '../eventlog/port.js'
import { streamId } from '../streams.js'
import { JobAbandoned, type JobRuntime } from './context.js'
import type { AskedJob, Job, JobSet, PendingJob } from './job-set.js'

// Runs the jobs of the slices' job sets (job-set.ts; the composition root gives the list): the events that ask
// for work on ~okeanos become jobs, run one at a time per stream (in the order they were asked for), a bounded
// number at a time overall. Jobs are not remembered anywhere but in the streams: at start the runner asks every
// job set for the work a previous run left undone and queues it again; every job picks up from the last step
// it recorded, and does nothing if nothing is left.

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'abandoned'

/** What a previous run left undone, job set by job set in the order given. */
export async function unfinishedJobs(sets: readonly JobSet[]): Promise<PendingJob[]> {
  const found: PendingJob[] = []
  for (const set of sets) found.push(...(await set.unfinished()))
  return found
}

export interface ReactorRunnerOptions {
  /** The slices' jobs; what a previous run left undone is looked for in this order. */
  jobs: readonly JobSet[]
  runtime: Omit<JobRuntime, 'stopping'>
  concurrency: number
  /** `id`: the stream's, of an instance or an application. */
  onError?: (error: unknown, id: string, kind: string) => void
}

interface Definition {
  set: JobSet
  job: Job<unknown>
}

export class ReactorRunner {
  private readonly chains = new Map<string, Promise<void>>()
  private readonly queued = new Map<string, Set<string>>()
  private readonly counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, abandoned: 0 }
  private readonly waiting: Array<() => void> = []
  private readonly definitions = new Map<string, Definition>()
  private readonly asks = new Map<string, (event: RecordedEvent) => AskedJob>()
  private subscription: Subscription | undefined
  private stopping = false
  private readonly runtime: JobRuntime

  constructor(private readonly options: ReactorRunnerOptions) {
    this.runtime = { ...options.runtime, stopping: () => this.stopping }
    for (const set of options.jobs) {
      for (const [kind, job] of Object.entries(set.jobs)) {
        if (this.definitions.has(kind)) throw new Error(`two job sets define the job ${kind}`)
        this.definitions.set(kind, { set, job })
      }
      for (const [type, ask] of Object.entries(set.asks)) {
        if (this.asks.has(type)) throw new Error(`two job sets take the event ${type}`)
        this.asks.set(type, ask)
      }
    }
  }

  /** Follows the log from its head, and queues the jobs a previous run left unfinished. A job asked for while
   *  they are looked for may be found twice: the second finds nothing left to do. */
  async start(log: EventLog): Promise<void> {
    const head = await log.headPosition()
    this.subscription = log.subscribe(head, (events) => this.onEvents(events))
    for (const job of await unfinishedJobs(this.options.jobs)) this.enqueue(job)
  }

  private onEvents(events: RecordedEvent[]): void {
    const asked = events.flatMap((event) => {
      const job = this.asks.get(event.type)?.(event)
      return job ? [{ id: streamId(event.stream), ...job }] : []
    })
    // Jobs start in the next turn of the event loop: the request that asked for one keeps the owner's token only
    // once its append has resolved (a refused request keeps nothing), which is later in this turn.
    if (asked.length > 0) setImmediate(() => asked.forEach((job) => this.enqueue(job)))
  }

  jobCounts(): Record<JobState, number> {
    return { ...this.counts }
  }

  /** Resolves when no job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()])
  }

  private enqueue({ id, kind, arg = '' }: PendingJob): void {
    if (this.stopping) return
    const definition = this.definitions.get(kind)
    if (!definition) throw new Error(`no job set defines the job ${kind}`)
    const pending = this.queued.get(id) ?? new Set<string>()
    const name = `${kind}:${arg}`
    if (pending.has(name)) return // the same job is already waiting: it will see the latest state
    pending.add(name)
    this.queued.set(id, pending)
    this.counts.queued++
    const previous = this.chains.get(id) ?? Promise.resolve()
    const chain = previous.then(() => this.run(definition, id, kind, arg))
    this.chains.set(id, chain)
    void chain.then(() => {
      if (this.chains.get(id) === chain) this.chains.delete(id)
    })
  }

  /** Takes a running slot, waiting for one if all are taken; a finishing job hands its slot on. */
  private async slot(): Promise<void> {
    if (this.counts.running < this.options.concurrency) {
      this.counts.running++
      return
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  private releaseSlot(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.counts.running--
  }

  private async run({ set, job }: Definition, id: string, kind: string, arg: string): Promise<void> {
    await this.slot()
    this.queued.get(id)?.delete(`${kind}:${arg}`)
    this.counts.queued--
    const context = set.context(this.runtime, id, job.reactor)
    let outcome: JobState = 'done'
    try {
      await job.run(context, arg)
    } catch (error) {
      if (error instanceof JobAbandoned) outcome = 'abandoned'
      else {
        outcome = 'failed'
        this.options.onError?.(error, id, kind)
        await this.endFailed(job, context, id, kind, error)
      }
    } finally {
      this.counts[outcome]++
      this.releaseSlot()
    }
  }

  /** Ends a failed job as its job set says (e.g. in a status with ~okeanos's words), unless the service stops. */
  private async endFailed(job: Job<unknown>, context: unknown, id: string, kind: string, error: unknown): Promise<void> {
    if (this.stopping || !job.failed) return
    try {
      await job.failed(context, error)
    } catch (recordError) {
      this.options.onError?.(recordError, id, kind)
    }
  }

  /** Stops taking jobs; running ones end at their next step and are resumed by the next start. */
  async close(): Promise<void> {
    this.stopping = true
    this.subscription?.close()
    for (const resolve of this.waiting.splice(0)) resolve()
    await this.idle()
  }
}
