import type { CommandHandler } from '../platform/command-handler.js'
import type { InstanceCommandServices } from '../instances/index.js'
import type { ApplicationCommand, ApplicationState } from './decider.js'
import type { ApplicationEvent } from './events.js'
import type { ApplicationQueries } from '../../projections/applications/projection.js'
import type { InstanceQueries } from '../../projections/instances/index.js'

// What the applications slice's routes need from the composition root. Deploying, starting and stopping an
// application are commands on the instance, which owns the job slots.

export interface ApplicationServices extends InstanceCommandServices {
  applications: CommandHandler<ApplicationCommand, ApplicationEvent, ApplicationState>
  applicationQueries: ApplicationQueries
  /** Whether the user has the instance whose deployments they list. */
  instanceQueries: Pick<InstanceQueries, 'details'>
  /** The ~okeanos projects the user is a member of: an upload goes to one of them. */
  activeProjects(token: string): Promise<Array<{ id: string; name: string }>>
  /** Where uploads wait for the job that stores them on Pithos. */
  uploadsDir: string
  /** Largest application upload, in bytes. */
  uploadLimit: number
  /** How long an upload may send nothing before it is abandoned, in ms. */
  uploadIdleTimeoutMs: number
}
