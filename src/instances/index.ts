// What the instances slice offers the other slices and read models: an application is deployed, started and
// stopped by commands on the instance, which owns the job slots; the applications slice does their work on the
// master (an InstanceJob, given to the instance's jobs as their DeploymentWork).

export { instanceCategory, instanceStream, type InstanceEvent } from './events.js'
export { messages as instanceMessages, type InstanceCommand } from './decider.js'
export { pendingActions, type AppRef, type Deployment, type DeploymentAction, type DeploymentCommand } from './deployments.js'
export type { InstanceJob } from './jobs/context.js'
export type { DeploymentWork } from './jobs/index.js'
export { instanceStatusView, type InstanceStatusCode } from './statuses.js'
export { runInstanceCommand } from './routes/run-command.js'
