import type { EventLog, RecordedEvent, Subscription } from '../eventlog/port.js'
import { streamId } from '../streams.js'
import { applicationStream } from '../../applications/events.js'
import { instanceStream } from '../../instances/events.js'
import type { Instance } from '../../instances/decider.js'
import { InstanceStatus, type InstanceStatusCode } from '../../instances/statuses.js'
import { failureMessage, JobAbandoned, JobContext, type ReactorDeps } from './context.js'
import { destroy, start, stop } from '../../instances/jobs/lifecycle.js'
import { provision, ProvisioningFailed, reactorName as provisioningReactor, stillBuilding } from '../../instances/jobs/provisioning.js'
import { deleteUpload, onMaster, reactorName as applicationsReactor, storeUpload, type AppAction } from '../../applications/jobs/applications.js'

// Turns the events that ask for work on ~okeanos into jobs, and runs them: one job at a time per instance
// (in the order they were asked for), a bounded number at a time overall. Jobs are not remembered anywhere
// but in the streams: at start the runner looks for the work a previous run left undone (unfinishedJobs) and
// queues it again; every job picks up from the last step it recorded, and does nothing if nothing is left.

export type JobKind = 'provision' | 'start' | 'stop' | 'destroy' | 'upload' | 'delete-app' | `app-${AppAction}`

/** The events that ask for a job: the job's kind, and what it is about besides its stream (an application). */
const jobOfEvent: Record<string, (event: RecordedEvent) => { kind: JobKind; arg?: string }> = {
  InstanceRequested: () => ({ kind: 'provision' }),
  InstanceStartRequested: () => ({ kind: 'start' }),
  InstanceStopRequested: () => ({ kind: 'stop' }),
  InstanceDestroyRequested: () => ({ kind: 'destroy' }),
  AppUploadRequested: () => ({ kind: 'upload' }),
  AppDeleteRequested: () => ({ kind: 'delete-app' }),
  AppDeployRequested: (e) => ({ kind: 'app-deploy', arg: appOf(e) }),
  AppWithdrawRequested: (e) => ({ kind: 'app-withdraw', arg: appOf(e) }),
  AppStartRequested: (e) => ({ kind: 'app-start', arg: appOf(e) }),
  AppStopRequested: (e) => ({ kind: 'app-stop', arg: appOf(e) }),
}

const appOf = (event: RecordedEvent) => (event.data as { app_id: string }).app_id

const jobOfStatus: Partial<Record<InstanceStatusCode, JobKind>> = {
  [InstanceStatus.PENDING]: 'provision',
  [InstanceStatus.STARTING]: 'start',
  [InstanceStatus.STOPPING]: 'stop',
  [InstanceStatus.DESTROYING]: 'destroy',
}

const jobs: Record<JobKind, { reactor: string; run: (job: JobContext, arg: string) => Promise<void> }> = {
  provision: { reactor: provisioningReactor, run: provision },
  start: { reactor: 'lifecycle', run: start },
  stop: { reactor: 'lifecycle', run: stop },
  destroy: { reactor: 'lifecycle', run: destroy },
  upload: { reactor: applicationsReactor, run: storeUpload },
  'delete-app': { reactor: applicationsReactor, run: deleteUpload },
  'app-deploy': { reactor: applicationsReactor, run: (job, app) => onMaster(job, app, 'deploy') },
  'app-withdraw': { reactor: applicationsReactor, run: (job, app) => onMaster(job, app, 'withdraw') },
  'app-start': { reactor: applicationsReactor, run: (job, app) => onMaster(job, app, 'start') },
  'app-stop': { reactor: applicationsReactor, run: (job, app) => onMaster(job, app, 'stop') },
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'abandoned'

/** Where the read models say work may be left: candidates only, each checked against its stream. */
export interface UnfinishedWork {
  /** Instances whose lifecycle job may not be finished (PENDING, STARTING, STOPPING, DESTROYING, building). */
  unfinished: () => Array<{ id: string }>
  /** Instances with deployments: an application job (deploy, withdraw, start, stop) may be pending there. */
  withDeployments: () => string[]
  /** Applications still UPLOADING. */
  uploading: () => string[]
  /** Every application not deleted: a delete may be pending. */
  applicationIds: () => string[]
}

export interface UnfinishedJob {
  /** The stream's id: an instance's, or an application's for `upload` and `delete-app`. */
  id: string
  kind: JobKind
  /** The application of an `app-*` job. */
  arg?: string
}

/**
 * The jobs an instance still has to do, in the order the live path queued them: application jobs first (they
 * are asked for only while the instance is STARTED, so before whatever took it out of STARTED), then the
 * lifecycle job its status says is under way. A build is resumed only for an instance we build (its stream
 * began with InstanceRequested): one a service VM registered has no spec, and no cluster of ours.
 */
export function unfinishedOf(instance: Instance): Array<{ kind: JobKind; arg?: string }> {
  const found: Array<{ kind: JobKind; arg?: string }> = []
  for (const [app, deployment] of Object.entries(instance.deployments)) {
    // A deploy before the start that needs its jar; a withdraw, which removes the jar, last.
    if (deployment.phase === 'deploying') found.push({ kind: 'app-deploy', arg: app })
    if (deployment.job === 'starting') found.push({ kind: 'app-start', arg: app })
    if (deployment.job === 'stopping') found.push({ kind: 'app-stop', arg: app })
    if (deployment.phase === 'withdrawing') found.push({ kind: 'app-withdraw', arg: app })
  }
  const lifecycle = lifecycleJob(instance)
  if (lifecycle) found.push({ kind: lifecycle })
  return found
}

function lifecycleJob(instance: Instance): JobKind | undefined {
  if (!stillBuilding(instance.status)) return jobOfStatus[instance.status]
  return instance.spec !== null && instance.cluster === null ? 'provision' : undefined
}

/** What a previous run left undone: the read models name the candidates, their streams say what is pending. */
export async function unfinishedJobs(deps: Pick<ReactorDeps, 'instances' | 'applications'>, work: UnfinishedWork): Promise<UnfinishedJob[]> {
  const found: UnfinishedJob[] = []
  for (const id of new Set([...work.unfinished().map((row) => row.id), ...work.withDeployments()])) {
    const { state } = await deps.instances.load(instanceStream(id))
    if (state.exists) for (const job of unfinishedOf(state)) found.push({ id, ...job })
  }
  // An upload before a delete of the same application, as they were asked for.
  for (const id of work.uploading()) found.push({ id, kind: 'upload' })
  for (const id of work.applicationIds()) {
    const { state } = await deps.applications.load(applicationStream(id))
    if (state.exists && state.deleting) found.push({ id, kind: 'delete-app' })
  }
  return found
}

export interface ReactorRunnerOptions extends UnfinishedWork {
  deps: Omit<ReactorDeps, 'stopping'>
  concurrency: number
  onError?: (error: unknown, instanceId: string, kind: JobKind) => void
}

export class ReactorRunner {
  private readonly chains = new Map<string, Promise<void>>()
  private readonly queued = new Map<string, Set<string>>()
  private readonly counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, abandoned: 0 }
  private readonly waiting: Array<() => void> = []
  private subscription: Subscription | undefined
  private stopping = false
  private readonly deps: ReactorDeps

  constructor(private readonly options: ReactorRunnerOptions) {
    this.deps = { ...options.deps, stopping: () => this.stopping }
  }

  /** Follows the log from its head, and queues the jobs a previous run left unfinished. A job asked for while
   *  they are looked for may be found twice: the second finds nothing left to do. */
  async start(log: EventLog): Promise<void> {
    const head = await log.headPosition()
    this.subscription = log.subscribe(head, (events) => this.onEvents(events))
    for (const { id, kind, arg } of await unfinishedJobs(this.options.deps, this.options)) this.enqueue(id, kind, arg)
  }

  private onEvents(events: RecordedEvent[]): void {
    const asked = events.flatMap((event) => {
      const job = jobOfEvent[event.type]?.(event)
      return job ? [{ id: streamId(event.stream), ...job }] : []
    })
    // Jobs start in the next turn of the event loop: the request that asked for one keeps the owner's token only
    // once its append has resolved (a refused request keeps nothing), which is later in this turn.
    if (asked.length > 0) setImmediate(() => asked.forEach(({ id, kind, arg }) => this.enqueue(id, kind, arg)))
  }

  jobCounts(): Record<JobState, number> {
    return { ...this.counts }
  }

  /** Resolves when no job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()])
  }

  private enqueue(instanceId: string, kind: JobKind, arg = ''): void {
    if (this.stopping) return
    const pending = this.queued.get(instanceId) ?? new Set<string>()
    const name = `${kind}:${arg}`
    if (pending.has(name)) return // the same job is already waiting: it will see the latest state
    pending.add(name)
    this.queued.set(instanceId, pending)
    this.counts.queued++
    const previous = this.chains.get(instanceId) ?? Promise.resolve()
    const chain = previous.then(() => this.run(instanceId, kind, arg))
    this.chains.set(instanceId, chain)
    void chain.then(() => {
      if (this.chains.get(instanceId) === chain) this.chains.delete(instanceId)
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

  private async run(instanceId: string, kind: JobKind, arg: string): Promise<void> {
    await this.slot()
    this.queued.get(instanceId)?.delete(`${kind}:${arg}`)
    this.counts.queued--
    const { reactor, run } = jobs[kind]
    const job = new JobContext(this.deps, instanceId, reactor)
    let outcome: JobState = 'done'
    try {
      await run(job, arg)
    } catch (error) {
      if (error instanceof JobAbandoned) outcome = 'abandoned'
      else {
        outcome = 'failed'
        await this.fail(job, kind, error)
      }
    } finally {
      this.counts[outcome]++
      this.releaseSlot()
    }
  }

  /** Records how the job failed: CLUSTER_FAILED for a build, FAILED otherwise, with ~okeanos's words. */
  private async fail(job: JobContext, kind: JobKind, error: unknown): Promise<void> {
    this.options.onError?.(error, job.instanceId, kind)
    if (this.stopping) return
    const status = error instanceof ProvisioningFailed ? InstanceStatus.CLUSTER_FAILED : InstanceStatus.FAILED
    try {
      const instance = await job.instance()
      const expected = jobOfStatus[instance.status]
      if (expected === kind) await job.setStatus(status, failureMessage(error))
    } catch (recordError) {
      this.options.onError?.(recordError, job.instanceId, kind)
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
