// What the instances slice offers the other slices and read models: an application is deployed, started and
// stopped by commands on the instance, which owns the job slots.

export { instanceCategory, instanceStream, type InstanceEvent } from './events.js'
export { messages as instanceMessages, type InstanceCommand } from './decider.js'
export type { AppRef, Deployment, DeploymentCommand } from './deployments.js'
export { instanceStatusView, type InstanceStatusCode } from './statuses.js'
export { runInstanceCommand } from './routes/run-command.js'
export { InstanceIdParams } from './routes/schemas.js'
