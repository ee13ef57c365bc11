import type { EventLog } from '../platform/eventlog/port.js'
import type { WebhookQueries } from '../../projections/webhooks/projection.js'
import type { Resolve } from './destination.js'
import type { WebhookCommands } from './jobs/context.js'

// What the webhooks slice's routes need from the composition root.

export interface WebhookServices {
  log: EventLog
  webhooks: WebhookCommands
  webhookQueries: WebhookQueries
  /** The signing secret of a webhook's generation, made and kept if it is not yet (src/webhooks/jobs/secrets.ts). */
  signingSecret(webhookId: string, generation: number): Promise<string>
  /** Private, loopback and link-local destinations allowed (LOD_WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivate: boolean
  /** How a destination's host is resolved (tests replace it). */
  resolve?: Resolve
}
