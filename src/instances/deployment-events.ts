import { Type, type Static } from 'typebox'

// An application's deployment on an instance and its jobs, in the instance's stream: the instance owns its job
// slots, so "one batch and one streaming job" is decided in one place.

/** The slot a job takes on an instance: an application's type, as the instance sees it. */
export const JobSlot = Type.Union([Type.Literal('BATCH'), Type.Literal('STREAMING')])
export type JobSlot = Static<typeof JobSlot>

const AppRef = Type.Object({ app_id: Type.String() })

/** Deployment and job events, in the instance's stream. */
export const deploymentEventSchemas = {
  AppDeployRequested: Type.Object({ app_id: Type.String(), name: Type.String(), type: JobSlot, container: Type.String() }),
  AppDeployed: AppRef,
  AppDeployFailed: Type.Object({ app_id: Type.String(), failure_message: Type.String() }),
  AppWithdrawRequested: AppRef,
  AppWithdrawn: AppRef,
  AppStartRequested: Type.Object({ app_id: Type.String(), execution_environment_name: Type.String() }),
  AppStarted: AppRef,
  AppStopRequested: Type.Object({ app_id: Type.String(), execution_environment_name: Type.String() }),
  AppStopped: AppRef,
  /** A job command failed on the master: the job is as it was before the request. */
  AppJobFailed: Type.Object({ app_id: Type.String(), action: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('withdraw')]), failure_message: Type.String() }),
} as const

export type DeploymentEventType = keyof typeof deploymentEventSchemas
export type DeploymentEvent = {
  [K in DeploymentEventType]: { type: K; data: Static<(typeof deploymentEventSchemas)[K]> }
}[DeploymentEventType]
