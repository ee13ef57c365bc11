import type { AskedJob, AskingEvent, JobSet, PendingJob } from '../../platform/jobs/job-set.js'
import type { DeploymentWork } from '../../instances/index.js'
import { applicationStream, type ApplicationEventType } from '../events.js'
import { ApplicationJob, type ApplicationCommands } from './context.js'
import { onMaster } from './on-master.js'
import { deleteUpload, storeUpload } from './uploads.js'

// The applications slice's jobs: on an application's stream, storing its upload on Pithos and deleting it from
// there; on an instance's stream, its deployment's work on the master (src/instances/jobs/index.ts says when).

const reactor = 'applications'

export interface ApplicationJobsDeps {
  applications: ApplicationCommands
  /** Where uploads wait until they are on Pithos. */
  uploadsDir: string
  /** Applications still UPLOADING. */
  uploading(): string[]
  /** Every application not deleted: a delete may be pending. */
  ids(): string[]
}

/** Which of its events ask for which job. */
export const applicationJobAsks = {
  AppUploadRequested: () => ({ kind: 'upload' }),
  AppDeleteRequested: () => ({ kind: 'delete-app' }),
} satisfies Partial<Record<ApplicationEventType, (event: AskingEvent) => AskedJob>>

export function applicationJobs(deps: ApplicationJobsDeps): JobSet<ApplicationJob> {
  return {
    jobs: {
      upload: { reactor, run: storeUpload },
      'delete-app': { reactor, run: deleteUpload },
    },
    context: (runtime, id, reactor) => new ApplicationJob(runtime, id, reactor, deps.applications, deps.uploadsDir),
    async unfinished() {
      // An upload before a delete of the same application, as they were asked for.
      const found: PendingJob[] = deps.uploading().map((id) => ({ id, kind: 'upload' }))
      for (const id of deps.ids()) {
        const { state } = await deps.applications.load(applicationStream(id))
        if (state.exists && state.deleting) found.push({ id, kind: 'delete-app' })
      }
      return found
    },
  }
}

/** An application's deployment acted on at an instance's master: the jobs of the instance's job slots. */
export function deploymentWork(applications: ApplicationCommands): DeploymentWork {
  return { reactor, run: (job, appId, action) => onMaster(applications, job, appId, action) }
}
