import { createReadStream, existsSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MasterShell } from '../../cluster/master.js'
import { jarPath, type JobType } from '../../cluster/commands.js'
import { applicationStream } from '../events.js'
import type { Application, ApplicationCommand } from '../decider.js'
import type { Deployment, DeploymentCommand } from '../../instances/index.js'
import { isNotFound } from '../../okeanos/index.js'
import { failureMessage, JobAbandoned, type JobContext } from '../../platform/jobs/context.js'

// Applications on Pithos and on the masters (upstream §5.3): store an upload, delete it, copy a jar to an
// instance's master, remove it, and start or stop its Flink job there over SSH with the cluster's own key.
// Every outcome is recorded: a failed command leaves the job as it was and says why.

export const reactorName = 'applications'

async function application(job: JobContext): Promise<Application> {
  const { state } = await job.deps.applications.load(applicationStream(job.instanceId))
  if (!state.exists || state.deleted) throw new JobAbandoned('no such application')
  return state
}

async function recordApp(job: JobContext, command: ApplicationCommand): Promise<void> {
  await job.deps.applications.handle(applicationStream(job.instanceId), command, { metadata: { actor: reactorName } })
}

/** The jar waiting on disk goes to the project's Pithos container; the disk copy goes either way. */
export async function storeUpload(job: JobContext): Promise<void> {
  const app = await application(job)
  if (app.status !== '1') return
  const file = join(job.deps.uploadsDir, `${job.instanceId}.jar`)
  try {
    if (!existsSync(file)) throw new Error('The uploaded file was lost before it reached Pithos; upload it again.')
    const ok = await job.okeanos()
    await job.call(() => ok.pithos.createContainer(app.container, app.projectId))
    // A stream cannot be replayed, so this PUT is tried once; the upload can be repeated by the user.
    await ok.pithos.putObjectStream(app.container, app.name, createReadStream(file), { size: statSync(file).size })
    await recordApp(job, { type: 'RecordUploaded', id: job.instanceId })
  } catch (error) {
    if (error instanceof JobAbandoned) throw error
    await recordApp(job, { type: 'RecordUploadFailed', id: job.instanceId, failureMessage: failureMessage(error) })
  } finally {
    await rm(file, { force: true })
  }
}

/** As the original: an object Pithos no longer has is deleted all the same; any other failure keeps the record. */
export async function deleteUpload(job: JobContext): Promise<void> {
  const app = await application(job)
  if (!app.deleting) return
  try {
    if (app.container) {
      const ok = await job.okeanos()
      await job.call(async () => {
        try {
          await ok.pithos.deleteObject(app.container, app.name)
        } catch (error) {
          if (!isNotFound(error)) throw error
        }
      })
    }
    await recordApp(job, { type: 'RecordDeleted', id: job.instanceId })
  } catch (error) {
    if (error instanceof JobAbandoned) throw error
    await recordApp(job, { type: 'RecordDeleteFailed', id: job.instanceId, failureMessage: failureMessage(error) })
  }
}

export type AppAction = 'deploy' | 'withdraw' | 'start' | 'stop'

const actor = { kind: 'reactor', name: reactorName } as const

/** Runs one action of one application on the instance's master, and records how it went. */
export async function onMaster(job: JobContext, appId: string, action: AppAction): Promise<void> {
  const instance = await job.instance()
  const deployment = instance.deployments[appId]
  if (!deployment || !pending(deployment, action)) return
  const record = (command: DeploymentCommand) => job.record({ ...command, id: job.instanceId, actor })
  try {
    const cluster = instance.cluster
    if (!cluster) throw new Error('The lambda instance has no master to run this on.')
    const privateKey = job.deps.secrets.get(job.instanceId, 'ssh-private-key')
    if (!privateKey) throw new Error("The lambda instance's SSH key is missing.")
    const shell = await MasterShell.connect({
      host: job.settings.ssh.host ?? cluster.floating_ip.address,
      port: job.settings.ssh.port,
      privateKey,
      connectTimeoutMs: job.settings.okeanosTimeoutMs,
    })
    try {
      await run(job, shell, deployment, action, appId)
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

function pending(deployment: Deployment, action: AppAction): boolean {
  switch (action) {
    case 'deploy':
      return deployment.phase === 'deploying'
    case 'withdraw':
      return deployment.phase === 'withdrawing'
    case 'start':
      return deployment.job === 'starting'
    case 'stop':
      return deployment.job === 'stopping'
  }
}

async function run(job: JobContext, shell: MasterShell, deployment: Deployment, action: AppAction, appId: string): Promise<void> {
  const type = deployment.type.toLowerCase() as JobType
  const environment = (await executionEnvironment(job, appId)) ?? ''
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

async function executionEnvironment(job: JobContext, appId: string): Promise<string | undefined> {
  const { state } = await job.deps.applications.load(applicationStream(appId))
  return state.exists ? state.executionEnvironmentName : undefined
}
