import { MasterShell } from '../../cluster/master.js'
import { jarPath, type JobType } from '../../cluster/commands.js'
import { applicationStream } from '../events.js'
import { pendingActions, type Deployment, type DeploymentAction, type DeploymentCommand, type InstanceJob } from '../../instances/index.js'
import { failureMessage, JobAbandoned } from '../../platform/jobs/context.js'
import type { ApplicationCommands } from './context.js'

// Applications on the instances' masters (docs/original.md "Applications"): copy a jar to an instance's master, remove it, and
// start or stop its Flink job there over SSH with the cluster's own key. These are jobs on the instance's
// stream (it owns the job slots); every outcome is recorded there: a failed command leaves the job as it was
// and says why.

/** Runs one action of one application on the instance's master, and records how it went. */
export async function onMaster(applications: ApplicationCommands, job: InstanceJob, appId: string, action: DeploymentAction): Promise<void> {
  const instance = await job.instance()
  const deployment = instance.deployments[appId]
  if (!deployment || !pendingActions(deployment).includes(action)) return
  const record = (command: DeploymentCommand) => job.record({ ...command, id: job.instanceId, actor: { kind: 'reactor', name: job.reactor } })
  try {
    const cluster = instance.cluster
    if (!cluster) throw new Error('The lambda instance has no master to run this on.')
    const privateKey = await job.deps.secrets.get(job.instanceId, 'ssh-private-key')
    if (!privateKey) throw new Error("The lambda instance's SSH key is missing.")
    const shell = await MasterShell.connect({
      host: job.settings.ssh.host ?? cluster.floating_ip.address,
      port: job.settings.ssh.port,
      privateKey,
      connectTimeoutMs: job.settings.okeanosTimeoutMs,
    })
    try {
      await run(job, shell, deployment, action, (await executionEnvironment(applications, appId)) ?? '')
    } finally {
      await shell.close()
    }
  } catch (error) {
    if (error instanceof JobAbandoned) throw error
    const message = failureMessage(error)
    if (action === 'deploy') await record({ type: 'RecordAppDeployFailed', appId, failureMessage: message })
    else await record({ type: 'RecordAppJobFailed', appId, action, failureMessage: message })
    return
  }
  const done = { deploy: 'RecordAppDeployed', withdraw: 'RecordAppWithdrawn', start: 'RecordAppStarted', stop: 'RecordAppStopped' } as const
  await record({ type: done[action], appId })
}

async function run(job: InstanceJob, shell: MasterShell, deployment: Deployment, action: DeploymentAction, environment: string): Promise<void> {
  const type = deployment.type.toLowerCase() as JobType
  switch (action) {
    case 'deploy': {
      const ok = await job.okeanos()
      const jar = await job.call(() => ok.pithos.getObjectStream(deployment.container, deployment.name))
      await shell.upload(jarPath(deployment.name), jar)
      return
    }
    case 'withdraw':
      await shell.remove(jarPath(deployment.name))
      return
    case 'start':
      await shell.startJob(type, deployment.name, environment)
      return
    case 'stop':
      await shell.stopJob(type, environment)
      return
  }
}

async function executionEnvironment(applications: ApplicationCommands, appId: string): Promise<string | undefined> {
  const { state } = await applications.load(applicationStream(appId))
  return state.exists ? state.executionEnvironmentName : undefined
}
