// What the webhooks slice offers the composition root; what its routes need is in services.ts.

export { webhookEventSchemas, webhookStream } from './events.js'
export { webhookDecider } from './decider.js'
export type { WebhookServices } from './services.js'
export { webhookRoutes } from './routes/webhooks.js'
export { deliveryRoutes } from './routes/deliveries.js'
export { webhookJobAsks, webhookJobs } from './jobs/index.js'
export { WebhookDispatcher, type StatusChange } from './jobs/dispatcher.js'
export { DeliveryMetrics } from './jobs/metrics.js'
export { signingSecret } from './jobs/secrets.js'
export { defaultRetrySchedule, type RetrySchedule } from './retries.js'
export type { DeliverySettings, WebhookCommands } from './jobs/context.js'
export type { Resolve } from './destination.js'
