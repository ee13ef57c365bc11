import { LeaseLostError } from '../../platform/eventlog/port.js'
import { JobAbandoned, JobDeferred } from '../../platform/jobs/context.js'
import type { AskedJob, AskingEvent, JobSet, PendingJob } from '../../platform/jobs/job-set.js'
import type { WebhookEventName } from '../events.js'
import { WebhookJob, type DeliverySettings, type WebhookCommands } from './context.js'
import { deliver } from './deliver.js'

// The webhooks slice's jobs: a delivery on its webhook's stream, asked for by the dispatcher's request
// (dispatcher.ts) or by the owner's request to deliver again.

const reactor = 'webhooks'

export interface WebhookJobsDeps {
  webhooks: WebhookCommands
  delivery: DeliverySettings
  /** The read model's deliveries still pending, of each webhook in log order. */
  pending(): Array<{ webhook_id: string; delivery: string }>
}

const deliveryOf = (event: AskingEvent) => ({ kind: 'deliver', arg: (event.data as { delivery: string }).delivery })

/** Which of its events ask for which job. */
export const webhookJobAsks = {
  WebhookDeliveryRequested: deliveryOf,
  WebhookRedeliveryRequested: deliveryOf,
} satisfies Partial<Record<WebhookEventName, (event: AskingEvent) => AskedJob>>

export function webhookJobs(deps: WebhookJobsDeps): JobSet<WebhookJob> {
  return {
    jobs: {
      deliver: {
        reactor,
        async run(job, delivery) {
          try {
            await deliver(job, delivery)
          } catch (error) {
            if (error instanceof LeaseLostError || error instanceof JobAbandoned || error instanceof JobDeferred) throw error
            // The log or the secret store out of reach for now: a delivery is never given up on for that, nor left
            // pending without its job; it is tried again after the first retry's delay.
            throw new JobDeferred(deps.delivery.schedule.firstRetryMs, error)
          }
        },
      },
    },
    context: (runtime, id, reactor) => new WebhookJob(runtime, id, reactor, deps.webhooks, deps.delivery),
    async unfinished() {
      return deps.pending().map((row): PendingJob => ({ id: row.webhook_id, kind: 'deliver', arg: row.delivery }))
    },
  }
}
