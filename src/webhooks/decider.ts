import { conflict, notFound } from '../platform/rejection.js'
import type { DeliveryPayload, WebhookEvent } from './events.js'

// The webhook aggregate: an owner's endpoint, the generation of its signing secret, and its deliveries (one per
// event it asked for, known by that event's id). Times come in with the commands: the decider stays pure.

export type DeliveryState = 'pending' | 'delivered' | 'failed'

export interface Delivery {
  position: number
  payload: DeliveryPayload
  state: DeliveryState
  /** Attempts so far, over every round (a redelivery starts a round). */
  attempts: number
  /** Attempts of the current round: the retry delays grow with them. */
  roundAttempts: number
  /** When the current round's first attempt was sent: the retries stop some time after it. */
  roundStartedAt: string | null
}

export interface Webhook {
  exists: true
  owner: string
  url: string
  events: string[]
  description: string
  deleted: boolean
  generation: number
  /** Until when the previous generation's secret signs too (ISO-8601); null before the first rotation. */
  previousValidUntil: string | null
  /** The position of the last event a delivery was asked for: the dispatcher's progress on this webhook. */
  requestedUpTo: number
  deliveries: Record<string, Delivery>
}
export type WebhookState = { exists: false } | Webhook

/** An attempt's outcome as the delivery job judged it: `retry` at `nextAttemptAt`, or the delivery's end. */
export interface AttemptOutcome {
  time: string
  httpStatus: number | null
  error: string
  durationMs: number
  next: { retryAt: string } | { end: 'delivered' } | { end: 'failed'; reason: string }
}

export type WebhookCommand =
  | { type: 'CreateWebhook'; owner: string; url: string; events: string[]; description: string }
  /** `generation`: the one the reply announces; a concurrent rotation that took it first is a conflict. */
  | { type: 'RotateSecret'; owner: string; now: string; generation: number }
  | { type: 'DeleteWebhook'; owner: string }
  /** From the dispatcher: deliveries of events at `position`s it has not asked for yet. */
  | { type: 'RequestDeliveries'; deliveries: Array<{ delivery: string; position: number; payload: DeliveryPayload }> }
  | { type: 'RecordAttempt'; delivery: string; attempt: number; outcome: AttemptOutcome }
  | { type: 'RequestRedelivery'; owner: string; delivery: string }

/** How long the previous secret keeps signing after a rotation. */
export const previousSecretMs = 24 * 60 * 60 * 1000

export const webhookMessages = {
  notFound: "The specified webhook doesn't exist.",
  deliveryNotFound: "The specified delivery doesn't exist.",
  alreadyCreated: 'The specified webhook has already been created.',
  stillPending: 'The delivery is still being attempted: it is retried on its schedule.',
  rotatedMeanwhile: 'The secret was rotated by another request meanwhile: retry.',
} as const

export const initialWebhookState = (): WebhookState => ({ exists: false })

function existing(state: WebhookState, owner?: string): Webhook {
  if (!state.exists || state.deleted || (owner !== undefined && state.owner !== owner)) throw notFound(webhookMessages.notFound)
  return state
}

export function decideWebhook(command: WebhookCommand, state: WebhookState): WebhookEvent[] {
  switch (command.type) {
    case 'CreateWebhook':
      if (state.exists) throw conflict(webhookMessages.alreadyCreated)
      return [{ type: 'WebhookCreated', data: { owner: command.owner, url: command.url, events: command.events, description: command.description } }]
    case 'RotateSecret': {
      const webhook = existing(state, command.owner)
      if (command.generation !== webhook.generation + 1) throw conflict(webhookMessages.rotatedMeanwhile)
      const until = new Date(Date.parse(command.now) + previousSecretMs).toISOString()
      return [{ type: 'WebhookSecretRotated', data: { generation: command.generation, previous_valid_until: until } }]
    }
    case 'DeleteWebhook':
      existing(state, command.owner)
      return [{ type: 'WebhookDeleted', data: {} }]
    case 'RequestDeliveries': {
      // A deleted webhook takes no more; a position asked for already (by another dispatcher, or before a restart)
      // is not asked for twice.
      if (!state.exists || state.deleted) return []
      let upTo = state.requestedUpTo
      const events: WebhookEvent[] = []
      for (const { delivery, position, payload } of command.deliveries) {
        if (position <= upTo || Object.hasOwn(state.deliveries, delivery)) continue
        upTo = position
        events.push({ type: 'WebhookDeliveryRequested', data: { delivery, position, payload } })
      }
      return events
    }
    case 'RecordAttempt': {
      if (!state.exists) return []
      const delivery = state.deliveries[command.delivery]
      // Recorded already (a repeated step), or the delivery ended meanwhile.
      if (!delivery || delivery.state !== 'pending' || command.attempt !== delivery.attempts + 1) return []
      const { outcome } = command
      const next = 'retryAt' in outcome.next ? outcome.next.retryAt : null
      const attempted: WebhookEvent = {
        type: 'WebhookDeliveryAttempted',
        data: {
          delivery: command.delivery,
          attempt: command.attempt,
          time: outcome.time,
          http_status: outcome.httpStatus,
          error: outcome.error,
          duration_ms: outcome.durationMs,
          next_attempt_at: next,
        },
      }
      if ('retryAt' in outcome.next) return [attempted]
      if (outcome.next.end === 'delivered') return [attempted, { type: 'WebhookDelivered', data: { delivery: command.delivery } }]
      return [attempted, { type: 'WebhookDeliveryFailed', data: { delivery: command.delivery, reason: outcome.next.reason } }]
    }
    case 'RequestRedelivery': {
      const webhook = existing(state, command.owner)
      const delivery = webhook.deliveries[command.delivery]
      if (!delivery) throw notFound(webhookMessages.deliveryNotFound)
      if (delivery.state === 'pending') throw conflict(webhookMessages.stillPending)
      return [{ type: 'WebhookRedeliveryRequested', data: { delivery: command.delivery } }]
    }
  }
}

/** The deliveries map is changed in place: a stream's state is folded once per load, and copying a map of thousands
 *  of deliveries per event would make loading quadratic. The command handler never reuses a state it evolved from
 *  (a failed append drops its cached state), so nothing sees the map change under it. */
function withDelivery(state: Webhook, id: string, change: (delivery: Delivery) => Delivery): Webhook {
  const delivery = state.deliveries[id]
  if (delivery) state.deliveries[id] = change(delivery)
  return { ...state }
}

export function evolveWebhook(state: WebhookState, event: WebhookEvent): WebhookState {
  if (event.type === 'WebhookCreated') {
    const d = event.data
    return {
      exists: true,
      owner: d.owner,
      url: d.url,
      events: d.events,
      description: d.description,
      deleted: false,
      generation: 1,
      previousValidUntil: null,
      requestedUpTo: 0,
      deliveries: {},
    }
  }
  if (!state.exists) return state
  switch (event.type) {
    case 'WebhookSecretRotated':
      return { ...state, generation: event.data.generation, previousValidUntil: event.data.previous_valid_until }
    case 'WebhookDeleted':
      return { ...state, deleted: true }
    case 'WebhookDeliveryRequested': {
      const { delivery, position, payload } = event.data
      // In place, as withDelivery.
      state.deliveries[delivery] = { position, payload, state: 'pending', attempts: 0, roundAttempts: 0, roundStartedAt: null }
      return { ...state, requestedUpTo: Math.max(state.requestedUpTo, position) }
    }
    case 'WebhookDeliveryAttempted':
      return withDelivery(state, event.data.delivery, (d) => ({
        ...d,
        attempts: event.data.attempt,
        roundAttempts: d.roundAttempts + 1,
        roundStartedAt: d.roundStartedAt ?? event.data.time,
      }))
    case 'WebhookDelivered':
      return withDelivery(state, event.data.delivery, (d) => ({ ...d, state: 'delivered' }))
    case 'WebhookDeliveryFailed':
      return withDelivery(state, event.data.delivery, (d) => ({ ...d, state: 'failed' }))
    case 'WebhookRedeliveryRequested':
      return withDelivery(state, event.data.delivery, (d) => ({ ...d, state: 'pending', roundAttempts: 0, roundStartedAt: null }))
  }
}

export const webhookDecider = {
  decide: decideWebhook,
  evolve: evolveWebhook,
  initialState: initialWebhookState,
}
