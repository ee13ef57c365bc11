import { failureMessage } from '../../platform/jobs/context.js'
import type { AskedJob, AskingEvent, Job, JobSet, PendingJob } from '../../platform/jobs/job-set.js'
import type { Instance } from '../decider.js'
import { pendingActions, type DeploymentAction } from '../deployments.js'
import { instanceStream, type InstanceEvent } from '../events.js'
import { buildingStatuses, InstanceStatus, type InstanceStatusCode } from '../statuses.js'
import { InstanceJob, type InstanceCommands } from './context.js'
import { destroy, start, stop } from './lifecycle.js'
import { provision, ProvisioningFailed } from './provisioning.js'

// The jobs on an instance's stream: its lifecycle (provision, start, stop, destroy), and its job slots (an
// application's deploy, withdraw, start or stop on the master, which the applications slice does: the instance
// owns the slots, the application knows the jar). Which events ask for them, and which are left undone.

/** An application's deployment acted on at the instance's master. */
export interface DeploymentWork {
  reactor: string
  run(job: InstanceJob, appId: string, action: DeploymentAction): Promise<void>
}

export interface InstanceJobsDeps {
  instances: InstanceCommands
  /** The read models' candidates: instances in a status of `during`, or of `building` with no cluster recorded. */
  unfinished(during: Iterable<InstanceStatusCode>, building: Iterable<InstanceStatusCode>): Array<{ id: string }>
  /** Instances with deployments: an application job may be pending there. */
  withDeployments(): string[]
  deployments: DeploymentWork
}

interface LifecycleJob extends Job<InstanceJob> {
  /** The status the job's request left the instance in, which the job works in. */
  during: InstanceStatusCode
}

/** A job on the instance's lifecycle. One that fails ends the instance in FAILED, or in `endsIn(error)`, with
 *  ~okeanos's words, provided the instance is still in the status the job was for. */
function lifecycleJob(
  during: InstanceStatusCode,
  reactor: string,
  run: (job: InstanceJob) => Promise<void>,
  endsIn: (error: unknown) => InstanceStatusCode = () => InstanceStatus.FAILED,
): LifecycleJob {
  return {
    during,
    reactor,
    run,
    async failed(job, error) {
      if ((await job.instance()).status === during) await job.setStatus(endsIn(error), failureMessage(error))
    },
  }
}

const lifecycle = {
  // A failure of the build itself ends in CLUSTER_FAILED, as in the original.
  provision: lifecycleJob(InstanceStatus.PENDING, 'provisioning', provision, (error) =>
    error instanceof ProvisioningFailed ? InstanceStatus.CLUSTER_FAILED : InstanceStatus.FAILED,
  ),
  start: lifecycleJob(InstanceStatus.STARTING, 'lifecycle', start),
  stop: lifecycleJob(InstanceStatus.STOPPING, 'lifecycle', stop),
  destroy: lifecycleJob(InstanceStatus.DESTROYING, 'lifecycle', destroy),
}
type LifecycleKind = keyof typeof lifecycle

const deploymentJob = (work: DeploymentWork, action: DeploymentAction): Job<InstanceJob> => ({
  reactor: work.reactor,
  run: (job, appId) => work.run(job, appId, action),
})

const appOf = (event: AskingEvent) => (event.data as { app_id: string }).app_id

/** Which of its events ask for which job. */
export const instanceJobAsks = {
  InstanceRequested: () => ({ kind: 'provision' }),
  InstanceStartRequested: () => ({ kind: 'start' }),
  InstanceStopRequested: () => ({ kind: 'stop' }),
  InstanceDestroyRequested: () => ({ kind: 'destroy' }),
  AppDeployRequested: (event) => ({ kind: 'app-deploy', arg: appOf(event) }),
  AppWithdrawRequested: (event) => ({ kind: 'app-withdraw', arg: appOf(event) }),
  AppStartRequested: (event) => ({ kind: 'app-start', arg: appOf(event) }),
  AppStopRequested: (event) => ({ kind: 'app-stop', arg: appOf(event) }),
} satisfies Partial<Record<InstanceEvent['type'], (event: AskingEvent) => AskedJob>>

/**
 * The jobs an instance still has to do, in the order the live path queued them: application jobs first (they
 * are asked for only while the instance is STARTED, so before whatever took it out of STARTED), then the
 * lifecycle job its status says is under way. A build is resumed only for an instance we build (its stream
 * began with InstanceRequested): one a service VM registered has no spec, and no cluster of ours.
 */
export function unfinishedOf(instance: Instance): AskedJob[] {
  const found: AskedJob[] = []
  for (const [app, deployment] of Object.entries(instance.deployments))
    for (const action of pendingActions(deployment)) found.push({ kind: `app-${action}`, arg: app })
  const kind = lifecycleJobOf(instance)
  if (kind) found.push({ kind })
  return found
}

function lifecycleJobOf(instance: Instance): LifecycleKind | undefined {
  if (!buildingStatuses.has(instance.status))
    return (Object.keys(lifecycle) as LifecycleKind[]).find((kind) => lifecycle[kind].during === instance.status)
  return instance.spec !== null && instance.cluster === null ? 'provision' : undefined
}

export function instanceJobs(deps: InstanceJobsDeps): JobSet<InstanceJob> {
  return {
    jobs: {
      ...lifecycle,
      'app-deploy': deploymentJob(deps.deployments, 'deploy'),
      'app-withdraw': deploymentJob(deps.deployments, 'withdraw'),
      'app-start': deploymentJob(deps.deployments, 'start'),
      'app-stop': deploymentJob(deps.deployments, 'stop'),
    },
    context: (runtime, id, reactor) => new InstanceJob(runtime, id, reactor, deps.instances),
    async unfinished() {
      const during = Object.values(lifecycle).map((job) => job.during)
      const candidates = [...deps.unfinished(during, buildingStatuses).map((row) => row.id), ...deps.withDeployments()]
      const found: PendingJob[] = []
      for (const id of new Set(candidates)) {
        const { state } = await deps.instances.load(instanceStream(id))
        if (state.exists) for (const job of unfinishedOf(state)) found.push({ id, ...job })
      }
      return found
    },
  }
}
