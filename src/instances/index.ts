// What the instances slice offers the composition root, the other slices and read models. An application is
// deployed, started and stopped by commands on the instance, which owns the job slots; the applications slice
// does their work on the master (an InstanceJob, given to the instance's jobs as their DeploymentWork). What the
// slice's routes need is in services.ts.

export { instanceCategory, instanceStream, type InstanceEvent } from './events.js'
export { messages as instanceMessages, type InstanceCommand } from './decider.js'
export { pendingActions, type AppRef, type Deployment, type DeploymentAction, type DeploymentCommand } from './deployments.js'
export type { InstanceJob } from './jobs/context.js'
export type { DeploymentWork } from './jobs/index.js'
export { buildSteps, instanceStatuses, instanceStatusView, type InstanceStatusCode } from './statuses.js'
export { statusAfter as instanceStatusAfter } from './status-after.js'
export { runInstanceCommand } from './routes/run-command.js'
export type { InstanceCommandServices, InstanceServices } from './services.js'
export { InstanceIdParams } from './routes/schemas.js'

// The routes, registered by the composition root (src/app/http.ts) in the contexts they need.
export { instanceRoutes } from './routes/commands.js'
export { instanceQueryRoutes } from './routes/queries.js'
export { statusInstanceRoutes } from './routes/status-family.js'
export { okeanosInfoRoutes, type OkeanosConnect } from './routes/okeanos-info.js'
export { historyRoutes } from './routes/history.js'
export { instanceEventRoutes } from './routes/events-stream.js'
