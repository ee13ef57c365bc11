import type { CommandHandler } from '../../platform/command-handler.js'
import { JobAbandoned, JobContext, type JobRuntime } from '../../platform/jobs/context.js'
import type { Webhook, WebhookCommand, WebhookState } from '../decider.js'
import { webhookStream, type WebhookEvent } from '../events.js'
import type { RetrySchedule } from '../retries.js'
import type { DeliveryMetrics } from './metrics.js'

// What a delivery job on a webhook's stream works with: the webhook from its stream, commands to record what
// happened, and how deliveries are sent and retried.

export type WebhookCommands = CommandHandler<WebhookCommand, WebhookEvent, WebhookState>

export interface DeliverySettings {
  schedule: RetrySchedule
  /** How long an attempt may take, answer included (10 s by default). */
  timeoutMs: number
  /** Private, loopback and link-local destinations allowed (development, tests). */
  allowPrivate: boolean
  metrics: DeliveryMetrics
}

export class WebhookJob extends JobContext {
  constructor(
    runtime: JobRuntime,
    readonly webhookId: string,
    readonly reactor: string,
    private readonly webhooks: WebhookCommands,
    readonly delivery: DeliverySettings,
  ) {
    super(runtime, webhookId)
  }

  /** The webhook; a deleted one has nothing left to deliver. */
  async webhook(): Promise<Webhook> {
    const { state } = await this.webhooks.load(webhookStream(this.webhookId))
    if (!state.exists || state.deleted) throw new JobAbandoned('no such webhook')
    return state
  }

  /** Records what happened, under the job's lease. */
  async record(command: WebhookCommand): Promise<void> {
    await this.webhooks.handle(webhookStream(this.webhookId), command, {
      metadata: { actor: this.reactor, correlation_id: this.webhookId },
      ...(this.deps.lease && { lease: this.deps.lease }),
    })
  }
}
