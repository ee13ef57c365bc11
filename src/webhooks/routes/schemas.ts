import { Type } from 'typebox'
import { webhookEventTypes } from '../events.js'

// Schemas of the webhook routes' documentation. Documentation only: the routes validate by hand, one error per
// field, as the other create routes do.

export const webhookTags = ['webhooks']

export const WebhookIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The webhook id (a malformed one answers 404).' }),
})

export const DeliveryParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The webhook id.' }),
  delivery: Type.String({ format: 'uuid', description: 'The delivery: the id of the event it tells of (its `webhook-id`).' }),
})

export const CreateWebhookBody = Type.Object({
  url: Type.String({ description: 'http:// or https://, to a public address (unless LOD_WEBHOOKS_ALLOW_PRIVATE=true); no user name or password.' }),
  events: Type.Optional(
    Type.Union([Type.Array(Type.String({ enum: [...webhookEventTypes, '*'] })), Type.String()], {
      description: 'The event types to deliver, a list or a comma-separated string; `*` (the default) is every one.',
    }),
  ),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
})

const Links = Type.Object({ self: Type.String(), deliveries: Type.String() })

export const WebhookItem = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  secret_generation: Type.Integer({ description: 'Which secret signs: 1 at creation, one more at each rotation.' }),
  created_at: Type.String(),
  links: Links,
})

export const CreatedWebhook = Type.Object({
  id: Type.String({ format: 'uuid' }),
  secret: Type.String({ description: 'The signing secret (`whsec_…`), answered here only: keep it.' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  secret_generation: Type.Integer(),
  links: Links,
})

export const RotatedSecret = Type.Object({
  id: Type.String({ format: 'uuid' }),
  secret: Type.String({ description: 'The new signing secret, answered here only. The previous one signs too for 24 h.' }),
  secret_generation: Type.Integer(),
  previous_valid_until: Type.String(),
})

const Attempt = Type.Object({
  attempt: Type.Integer(),
  time: Type.String(),
  http_status: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no answer (timeout, connection error, refused address).' }),
  error: Type.String({ description: 'Why no answer came, or the start of a refusing answer.' }),
  duration_ms: Type.Integer(),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
})

export const DeliveryItem = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The event id: the `webhook-id` of every attempt.' }),
  type: Type.String(),
  position: Type.Integer(),
  event_time: Type.String(),
  state: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Array(Attempt),
})
