import type { InstanceEvent } from './events.js'
import { InstanceStatus, type InstanceStatusCode } from './statuses.js'

// Apart from the decider (instance.ts) so that what reads statuses (read models, a rebuild's workers, the
// history) does not load the event schemas and TypeBox with it.

/** The status an event leaves the instance in, if it sets one: shared by the decider's state and the read models. */
export function statusAfter(event: InstanceEvent): { status: InstanceStatusCode; failureMessage: string } | null {
  switch (event.type) {
    case 'InstanceRequested':
      return { status: InstanceStatus.PENDING, failureMessage: '' }
    case 'InstanceRegistered':
      return { status: event.data.status, failureMessage: event.data.failure_message }
    case 'InstanceStartRequested':
      return { status: InstanceStatus.STARTING, failureMessage: '' }
    case 'InstanceStopRequested':
      return { status: InstanceStatus.STOPPING, failureMessage: '' }
    case 'InstanceDestroyRequested':
      return { status: InstanceStatus.DESTROYING, failureMessage: '' }
    case 'InstanceStatusChanged':
      return { status: event.data.status, failureMessage: event.data.failure_message }
    default:
      return null
  }
}
