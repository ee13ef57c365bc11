import type { CommandHandler } from '../../platform/command-handler.js'
import { JobAbandoned, JobContext, type JobRuntime } from '../../platform/jobs/context.js'
import type { Application, ApplicationCommand, ApplicationState } from '../decider.js'
import { applicationStream, type ApplicationEvent } from '../events.js'

// What a job on an application's stream works with: the application from its stream, commands to record what
// happened, and where its upload waits.

export type ApplicationCommands = CommandHandler<ApplicationCommand, ApplicationEvent, ApplicationState>

export class ApplicationJob extends JobContext {
  constructor(
    runtime: JobRuntime,
    readonly applicationId: string,
    readonly reactor: string,
    private readonly applications: ApplicationCommands,
    /** Where uploads wait until they are on Pithos (`<application id>.jar`). */
    readonly uploadsDir: string,
  ) {
    super(runtime, applicationId)
  }

  async application(): Promise<Application> {
    const { state } = await this.applications.load(applicationStream(this.applicationId))
    if (!state.exists || state.deleted) throw new JobAbandoned('no such application')
    return state
  }

  /** Records what happened, under the job's lease. */
  async record(command: ApplicationCommand): Promise<void> {
    await this.applications.handle(applicationStream(this.applicationId), command, {
      metadata: { actor: this.reactor },
      ...(this.deps.lease && { lease: this.deps.lease }),
    })
  }
}
