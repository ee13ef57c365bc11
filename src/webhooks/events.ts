import { Type, type Static } from 'typebox'
import { streamName } from '../platform/streams.js'

// Events of webhooks (a user's endpoints that status changes are pushed to), each in its own `webhook-<uuid>`
// stream with its deliveries: the stream is the unit of order (its delivery jobs run one at a time, in the order
// they were asked for), so a failing endpoint delays only its own deliveries. No event holds a secret: the signing
// secrets are in the secret store, one per generation; events say only which generation signs.

/** The event types a webhook may ask for; `*` is every one. */
export const webhookEventTypes = ['instance.status_changed', 'application.status_changed'] as const
export type WebhookEventType = (typeof webhookEventTypes)[number]

export const WebhookCreated = Type.Object({
  owner: Type.String(),
  url: Type.String(),
  /** `instance.status_changed`, `application.status_changed`, or `*`. */
  events: Type.Array(Type.String()),
  description: Type.String(),
})

/** A new signing secret (`generation`); the one before keeps signing until `previous_valid_until`. */
export const WebhookSecretRotated = Type.Object({ generation: Type.Integer({ minimum: 2 }), previous_valid_until: Type.String() })

/** What a delivery sends: the body of the request, less its signature. */
export const DeliveryPayload = Type.Object({
  type: Type.String(),
  timestamp: Type.String(),
  data: Type.Object({}, { additionalProperties: true }),
})
export type DeliveryPayload = Static<typeof DeliveryPayload>

/** A delivery is known by the id of the event it tells of (`delivery`): it is the `webhook-id` of every attempt. */
export const WebhookDeliveryRequested = Type.Object({
  delivery: Type.String(),
  /** The event's position in the log: the dispatcher's progress on this webhook. */
  position: Type.Integer(),
  payload: DeliveryPayload,
})

export const WebhookDeliveryAttempted = Type.Object({
  delivery: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  /** When the request was sent (ISO-8601). */
  time: Type.String(),
  /** The receiver's status code; null when none came (timeout, connection refused, refused address). */
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.String(),
  duration_ms: Type.Integer({ minimum: 0 }),
  /** When the next attempt is due; null when this one ended the delivery. */
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
})

export const webhookEventSchemas = {
  WebhookCreated,
  WebhookSecretRotated,
  WebhookDeleted: Type.Object({}),
  WebhookDeliveryRequested,
  WebhookDeliveryAttempted,
  WebhookDelivered: Type.Object({ delivery: Type.String() }),
  WebhookDeliveryFailed: Type.Object({ delivery: Type.String(), reason: Type.String() }),
  /** The owner asked for a delivery again (POST …/retry/): it is attempted anew, once more up to 24 h. */
  WebhookRedeliveryRequested: Type.Object({ delivery: Type.String() }),
} as const

export type WebhookEventName = keyof typeof webhookEventSchemas
export type WebhookEvent = {
  [K in WebhookEventName]: { type: K; data: Static<(typeof webhookEventSchemas)[K]> }
}[WebhookEventName]

export const webhookCategory = 'webhook'

export function webhookStream(id: string): string {
  return streamName(webhookCategory, id)
}
