import type { ApplicationEvent } from './events.js'
import { ApplicationStatus, type ApplicationStatusCode } from './statuses.js'

// Apart from the decider, as src/instances/status-after.ts: what reads statuses (the webhooks' dispatcher) does not
// load the decider with it.

/** The status an event leaves the application in, if it sets one. */
export function applicationStatusAfter(event: ApplicationEvent): { status: ApplicationStatusCode; failureMessage: string } | null {
  switch (event.type) {
    case 'AppUploadRequested':
      return { status: ApplicationStatus.UPLOADING, failureMessage: '' }
    case 'AppUploaded':
      return { status: ApplicationStatus.UPLOADED, failureMessage: '' }
    case 'AppRegistered':
    case 'AppStatusChanged':
      return { status: event.data.status as ApplicationStatusCode, failureMessage: event.data.failure_message }
    case 'AppUploadFailed':
    case 'AppDeleteFailed':
      return { status: ApplicationStatus.FAILED, failureMessage: event.data.failure_message }
    default:
      return null
  }
}
