import type { RecordedEvent } from '../platform/eventlog/port.js'
import { inCategory, streamId } from '../platform/streams.js'
import { instanceCategory, instanceStatusAfter, instanceStatusView, instanceStream, type InstanceEvent, type InstanceServices } from '../instances/index.js'
import {
  applicationCategory,
  applicationStatusAfter,
  applicationStatusView,
  applicationStream,
  type ApplicationEvent,
  type ApplicationServices,
} from '../applications/index.js'
import type { StatusChange } from '../webhooks/index.js'

// What the webhooks deliver, from the other slices' events: an instance's or an application's status change, with
// the status as the API shows it. Here, in the composition root, so that no slice knows another's events.

export function statusChangeOf(event: RecordedEvent): StatusChange | undefined {
  const typed = { type: event.type, data: event.data }
  if (inCategory(event.stream, instanceCategory)) {
    const after = instanceStatusAfter(typed as InstanceEvent)
    if (!after) return undefined
    const id = streamId(event.stream)
    const { failure_message = '', ...status } = instanceStatusView(after.status, after.failureMessage)
    return {
      type: 'instance.status_changed',
      subject: id,
      ...ownerIn(event),
      data: { instance_id: id, status, failure_message },
    }
  }
  if (inCategory(event.stream, applicationCategory)) {
    const after = applicationStatusAfter(typed as ApplicationEvent)
    if (!after) return undefined
    const id = streamId(event.stream)
    const { failure_message = '', ...status } = applicationStatusView(after.status, after.failureMessage)
    return {
      type: 'application.status_changed',
      subject: id,
      ...ownerIn(event),
      data: { application_id: id, status, failure_message },
    }
  }
  return undefined
}

/** The owner a creating event names. */
function ownerIn(event: RecordedEvent): { owner?: string } {
  const owner = (event.data as { owner?: unknown }).owner
  return typeof owner === 'string' ? { owner } : {}
}

/** The owner of an instance or an application, from its stream. */
export function ownersFrom(instances: InstanceServices, applications: ApplicationServices) {
  return async (type: StatusChange['type'], subject: string): Promise<string | undefined> => {
    if (type === 'instance.status_changed') {
      const { state } = await instances.instances.load(instanceStream(subject))
      return state.exists ? state.owner : undefined
    }
    const { state } = await applications.applications.load(applicationStream(subject))
    return state.exists ? state.owner : undefined
  }
}
