import t from 'tap'
import { webhookDecider, type AttemptOutcome } from '../../src/webhooks/decider.js'
import type { WebhookEvent } from '../../src/webhooks/events.js'
import { deciderSpec } from '../support/decider-spec.js'

// The webhook aggregate, given/when/then: its endpoint, its secret's generations, its deliveries.

const spec = deciderSpec(webhookDecider)
const created: WebhookEvent = { type: 'WebhookCreated', data: { owner: 'alice', url: 'https://example.com/hook', events: ['*'], description: '' } }
const payload = (position: number) => ({ type: 'instance.status_changed', timestamp: '2026-01-01T00:00:00.000Z', data: { position } })
const requested = (delivery: string, position: number): WebhookEvent => ({ type: 'WebhookDeliveryRequested', data: { delivery, position, payload: payload(position) } })
const attempted = (delivery: string, attempt: number, http_status: number | null, next_attempt_at: string | null): WebhookEvent => ({
  type: 'WebhookDeliveryAttempted',
  data: { delivery, attempt, time: '2026-01-01T00:00:01.000Z', http_status, error: '', duration_ms: 3, next_attempt_at },
})
const outcome = (httpStatus: number | null, next: AttemptOutcome['next']): AttemptOutcome => ({ time: '2026-01-01T00:00:01.000Z', httpStatus, error: '', durationMs: 3, next })

t.test('a webhook is created once; another owner finds none to rotate or delete', async (t) => {
  spec.given([]).when({ type: 'CreateWebhook', owner: 'alice', url: 'https://example.com/hook', events: ['*'], description: '' }).then(t, [created])
  spec.given([created]).when({ type: 'CreateWebhook', owner: 'alice', url: 'https://x.example/', events: ['*'], description: '' }).rejects(t, 'conflict', 'The specified webhook has already been created.')
  spec.given([created]).when({ type: 'DeleteWebhook', owner: 'bob' }).rejects(t, 'not_found', "The specified webhook doesn't exist.")
  spec.given([created]).when({ type: 'RotateSecret', owner: 'bob', now: '2026-01-01T00:00:00.000Z', generation: 2 }).rejects(t, 'not_found', "The specified webhook doesn't exist.")
  spec.given([created]).when({ type: 'DeleteWebhook', owner: 'alice' }).then(t, [{ type: 'WebhookDeleted', data: {} }])
  spec.given([created, { type: 'WebhookDeleted', data: {} }]).when({ type: 'DeleteWebhook', owner: 'alice' }).rejects(t, 'not_found', "The specified webhook doesn't exist.")
})

t.test('a rotation names the next generation; the previous one signs for 24 h more; a rotation that lost a race is a conflict', async (t) => {
  spec.given([created]).when({ type: 'RotateSecret', owner: 'alice', now: '2026-01-01T00:00:00.000Z', generation: 2 }).then(t, [
    { type: 'WebhookSecretRotated', data: { generation: 2, previous_valid_until: '2026-01-02T00:00:00.000Z' } },
  ])
  const rotated: WebhookEvent = { type: 'WebhookSecretRotated', data: { generation: 2, previous_valid_until: '2026-01-02T00:00:00.000Z' } }
  spec.given([created, rotated]).when({ type: 'RotateSecret', owner: 'alice', now: '2026-01-01T00:00:00.000Z', generation: 2 }).rejects(t, 'conflict', 'The secret was rotated by another request meanwhile: retry.')
  t.match(spec.given([created, rotated]).state(), { generation: 2, previousValidUntil: '2026-01-02T00:00:00.000Z' })
})

t.test('deliveries are asked for once, in log order: what a dispatcher asked for already is dropped', async (t) => {
  const ask = (...positions: number[]) => ({ type: 'RequestDeliveries' as const, deliveries: positions.map((p) => ({ delivery: `e${p}`, position: p, payload: payload(p) })) })
  spec.given([created]).when(ask(3, 5)).then(t, [requested('e3', 3), requested('e5', 5)])
  spec.given([created, requested('e3', 3), requested('e5', 5)]).when(ask(3, 5, 8)).then(t, [requested('e8', 8)])
  spec.given([created, requested('e5', 5)]).when(ask(4)).then(t, [])
  spec.given([created, { type: 'WebhookDeleted', data: {} }]).when(ask(9)).then(t, [])
  spec.given([]).when(ask(9)).then(t, [])
})

t.test('an attempt is recorded once, with the delivery ended when it is over', async (t) => {
  const history = [created, requested('e3', 3)]
  const record = (attempt: number, o: AttemptOutcome) => ({ type: 'RecordAttempt' as const, delivery: 'e3', attempt, outcome: o })
  spec.given(history).when(record(1, outcome(503, { retryAt: '2026-01-01T00:00:06.000Z' }))).then(t, [attempted('e3', 1, 503, '2026-01-01T00:00:06.000Z')])
  spec.given(history).when(record(1, outcome(200, { end: 'delivered' }))).then(t, [attempted('e3', 1, 200, null), { type: 'WebhookDelivered', data: { delivery: 'e3' } }])
  spec.given(history).when(record(1, outcome(404, { end: 'failed', reason: 'no' }))).then(t, [attempted('e3', 1, 404, null), { type: 'WebhookDeliveryFailed', data: { delivery: 'e3', reason: 'no' } }])
  // The same attempt again (a job run again after a crash before it knew its append went through) records nothing.
  spec.given([...history, attempted('e3', 1, 503, 'x')]).when(record(1, outcome(503, { retryAt: 'y' }))).then(t, [])
  spec.given([...history, attempted('e3', 1, 200, null), { type: 'WebhookDelivered', data: { delivery: 'e3' } }]).when(record(2, outcome(200, { end: 'delivered' }))).then(t, [])
  t.match(spec.given([...history, attempted('e3', 1, 503, 'x'), attempted('e3', 2, 503, 'y')]).state(), {
    deliveries: { e3: { state: 'pending', attempts: 2, roundAttempts: 2, roundStartedAt: '2026-01-01T00:00:01.000Z' } },
  })
})

t.test('a delivery is asked for again by its owner once it is over, never while it is attempted', async (t) => {
  const over = [created, requested('e3', 3), attempted('e3', 1, 410, null), { type: 'WebhookDeliveryFailed', data: { delivery: 'e3', reason: 'gone' } } as WebhookEvent]
  spec.given(over).when({ type: 'RequestRedelivery', owner: 'alice', delivery: 'e3' }).then(t, [{ type: 'WebhookRedeliveryRequested', data: { delivery: 'e3' } }])
  spec.given(over).when({ type: 'RequestRedelivery', owner: 'bob', delivery: 'e3' }).rejects(t, 'not_found', "The specified webhook doesn't exist.")
  spec.given(over).when({ type: 'RequestRedelivery', owner: 'alice', delivery: 'e4' }).rejects(t, 'not_found', "The specified delivery doesn't exist.")
  spec.given([created, requested('e3', 3)]).when({ type: 'RequestRedelivery', owner: 'alice', delivery: 'e3' }).rejects(t, 'conflict', 'The delivery is still being attempted: it is retried on its schedule.')
  t.match(spec.given([...over, { type: 'WebhookRedeliveryRequested', data: { delivery: 'e3' } }]).state(), {
    deliveries: { e3: { state: 'pending', attempts: 1, roundAttempts: 0, roundStartedAt: null } },
  })
})
