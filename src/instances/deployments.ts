import type { DeploymentEvent, JobSlot } from './deployment-events.js'
import { conflict, notFound } from '../platform/rejection.js'
import { InstanceStatus, instanceStatusName, type InstanceStatusCode } from './statuses.js'

// Applications deployed on an instance and their jobs (docs/original.md "Applications"). The instance has one batch and
// one streaming job slot: a start takes the slot at once (so a second start is refused right away), the
// master's answer confirms it or gives it back.

export type JobPhase = 'stopped' | 'starting' | 'started' | 'stopping'

export interface Deployment {
  name: string
  type: JobSlot
  container: string
  /** `deploying` until the jar is on the master, `withdrawing` until it is gone. */
  phase: 'deploying' | 'deployed' | 'withdrawing'
  job: JobPhase
}

export type Deployments = Readonly<Record<string, Deployment>>

/** What the route knows of the application named in the request (appRefOf in src/applications/app-ref.ts); null when
 *  the owner has no such application. Only a jar uploaded through POST /api/apps/ has a checked file name, a type
 *  and a container to deploy from; a usage record a service VM keeps through the status family has none of them. */
export type AppRef = UploadedJar | { kind: 'usage-record'; id: string }

export interface UploadedJar {
  kind: 'jar'
  id: string
  name: string
  type: JobSlot
  container: string
  executionEnvironmentName: string
}

/** What an application's deployment asks of the instance's master: each is a job on the instance's stream. */
export type DeploymentAction = 'deploy' | 'withdraw' | 'start' | 'stop'

export type DeploymentCommand =
  | { type: 'DeployApp'; app: AppRef | null }
  | { type: 'WithdrawApp'; app: AppRef | null }
  | { type: 'StartApp'; app: AppRef | null }
  | { type: 'StopApp'; app: AppRef | null }
  | { type: 'RecordAppDeployed'; appId: string }
  | { type: 'RecordAppDeployFailed'; appId: string; failureMessage: string }
  | { type: 'RecordAppWithdrawn'; appId: string }
  | { type: 'RecordAppStarted'; appId: string }
  | { type: 'RecordAppStopped'; appId: string }
  | { type: 'RecordAppJobFailed'; appId: string; action: Exclude<DeploymentAction, 'deploy'>; failureMessage: string }

export const deploymentMessages = {
  appNotFound: "The specified application doesn't exist.",
  cantDeploy: (s: InstanceStatusCode) => `Can't deploy an application while lambda instance status is ${instanceStatusName(s)}.`,
  cantWithdraw: (s: InstanceStatusCode) => `Can't withdraw an application while lambda instance status is ${instanceStatusName(s)}.`,
  cantStartStop: (s: InstanceStatusCode) => `Can't start/stop an application while lambda instance status is ${instanceStatusName(s)}.`,
  alreadyDeployed: 'The specified application has already been deployed on the specified lambda instance.',
  notDeployedConflict: 'The specified application has not been deployed on the specified lambda instance.',
  notDeployed: 'The specified application is not deployed on the specified lambda instance.',
  alreadyStarted: 'The specified application on the specified lambda instance has already been started.',
  alreadyStopped: 'The specified application on the specified lambda instance has already been stopped.',
  slotTaken: (type: JobSlot) => `The ${type.toLowerCase()} job on the specified lambda instance has already been started.`,
  slotFree: (type: JobSlot) => `The ${type.toLowerCase()} job on the specified lambda instance has already been stopped.`,
} as const

const running = (job: JobPhase) => job !== 'stopped'

/** Whether some application of this type holds the instance's job slot. */
export function slotTaken(deployments: Deployments, type: JobSlot): boolean {
  return Object.values(deployments).some((d) => d.type === type && running(d.job))
}

/** The jobs a deployment waits for, in the order they run: a deploy before the start that needs its jar; a
 *  withdraw, which removes the jar, last. */
export function pendingActions(deployment: Deployment): DeploymentAction[] {
  const pending: DeploymentAction[] = []
  if (deployment.phase === 'deploying') pending.push('deploy')
  if (deployment.job === 'starting') pending.push('start')
  if (deployment.job === 'stopping') pending.push('stop')
  if (deployment.phase === 'withdrawing') pending.push('withdraw')
  return pending
}

/** Decides a deployment command for an instance that exists and is visible to the caller. */
export function decideDeployment(command: DeploymentCommand, status: InstanceStatusCode, deployments: Deployments): DeploymentEvent[] {
  switch (command.type) {
    case 'DeployApp': {
      const app = appOf(command.app)
      if (status !== InstanceStatus.STARTED) throw conflict(deploymentMessages.cantDeploy(status))
      if (deployments[app.id]) throw conflict(deploymentMessages.alreadyDeployed)
      return [{ type: 'AppDeployRequested', data: { app_id: app.id, name: app.name, type: app.type, container: app.container } }]
    }
    case 'WithdrawApp': {
      const app = appOf(command.app)
      if (status !== InstanceStatus.STARTED) throw conflict(deploymentMessages.cantWithdraw(status))
      if (!deployments[app.id]) throw conflict(deploymentMessages.notDeployedConflict)
      return deployments[app.id]!.phase === 'withdrawing' ? [] : [{ type: 'AppWithdrawRequested', data: { app_id: app.id } }]
    }
    case 'StartApp': {
      const app = appOf(command.app)
      if (status !== InstanceStatus.STARTED) throw conflict(deploymentMessages.cantStartStop(status))
      const deployment = deployments[app.id]
      if (!deployment) throw notFound(deploymentMessages.notDeployed)
      if (running(deployment.job)) throw conflict(deploymentMessages.alreadyStarted)
      if (slotTaken(deployments, app.type)) throw conflict(deploymentMessages.slotTaken(app.type))
      return [{ type: 'AppStartRequested', data: { app_id: app.id, execution_environment_name: app.executionEnvironmentName } }]
    }
    case 'StopApp': {
      const app = appOf(command.app)
      if (status !== InstanceStatus.STARTED) throw conflict(deploymentMessages.cantStartStop(status))
      const deployment = deployments[app.id]
      if (!deployment) throw notFound(deploymentMessages.notDeployed)
      if (!running(deployment.job)) throw conflict(deploymentMessages.alreadyStopped)
      if (!slotTaken(deployments, app.type)) throw conflict(deploymentMessages.slotFree(app.type))
      if (deployment.job === 'stopping') return []
      return [{ type: 'AppStopRequested', data: { app_id: app.id, execution_environment_name: app.executionEnvironmentName } }]
    }
    // What the applications reactor reports: recorded only while it still applies (a repeated report is a no-op).
    case 'RecordAppDeployed':
      return deployments[command.appId]?.phase === 'deploying' ? [{ type: 'AppDeployed', data: { app_id: command.appId } }] : []
    case 'RecordAppDeployFailed':
      return deployments[command.appId]?.phase === 'deploying'
        ? [{ type: 'AppDeployFailed', data: { app_id: command.appId, failure_message: command.failureMessage } }]
        : []
    case 'RecordAppWithdrawn':
      return deployments[command.appId] ? [{ type: 'AppWithdrawn', data: { app_id: command.appId } }] : []
    case 'RecordAppStarted':
      return deployments[command.appId]?.job === 'starting' ? [{ type: 'AppStarted', data: { app_id: command.appId } }] : []
    case 'RecordAppStopped':
      return deployments[command.appId]?.job === 'stopping' ? [{ type: 'AppStopped', data: { app_id: command.appId } }] : []
    case 'RecordAppJobFailed':
      return deployments[command.appId]
        ? [{ type: 'AppJobFailed', data: { app_id: command.appId, action: command.action, failure_message: command.failureMessage } }]
        : []
  }
}

/** A usage record is no application to deploy or run: it answers as an unknown one, for every action (a withdraw
 *  or stop of one could only act on what a deploy must never have put there). */
function appOf(app: AppRef | null): UploadedJar {
  if (app?.kind !== 'jar') throw notFound(deploymentMessages.appNotFound)
  return app
}

function update(deployments: Deployments, appId: string, change: Partial<Deployment>): Deployments {
  const current = deployments[appId]
  return current ? { ...deployments, [appId]: { ...current, ...change } } : deployments
}

function without(deployments: Deployments, appId: string): Deployments {
  const { [appId]: _, ...rest } = deployments
  return rest
}

export function evolveDeployments(deployments: Deployments, event: DeploymentEvent): Deployments {
  const id = event.data.app_id
  switch (event.type) {
    case 'AppDeployRequested':
      return { ...deployments, [id]: { name: event.data.name, type: event.data.type, container: event.data.container, phase: 'deploying', job: 'stopped' } }
    case 'AppDeployed':
      return update(deployments, id, { phase: 'deployed' })
    case 'AppDeployFailed':
    case 'AppWithdrawn':
      return without(deployments, id)
    case 'AppWithdrawRequested':
      return update(deployments, id, { phase: 'withdrawing' })
    case 'AppStartRequested':
      return update(deployments, id, { job: 'starting' })
    case 'AppStarted':
      return update(deployments, id, { job: 'started' })
    case 'AppStopRequested':
      return update(deployments, id, { job: 'stopping' })
    case 'AppStopped':
      return update(deployments, id, { job: 'stopped' })
    case 'AppJobFailed':
      // The master refused: the job is as it was before the request.
      if (event.data.action === 'start') return update(deployments, id, { job: 'stopped' })
      if (event.data.action === 'stop') return update(deployments, id, { job: 'started' })
      return update(deployments, id, { phase: 'deployed' })
  }
}

/** Stopping the instance stops every job; destroying it drops every deployment (as the original). */
export function deploymentsAfterStatus(deployments: Deployments, status: InstanceStatusCode): Deployments {
  if (status === InstanceStatus.DESTROYING || status === InstanceStatus.DESTROYED) return {}
  if (status === InstanceStatus.STOPPING)
    return Object.fromEntries(Object.entries(deployments).map(([id, d]) => [id, { ...d, job: 'stopped' as const }]))
  return deployments
}
