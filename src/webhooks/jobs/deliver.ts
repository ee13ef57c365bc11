import { Webhook as Signer } from 'standardwebhooks'
import { JobDeferred, JobNotReady } from '../../platform/jobs/context.js'
import type { AttemptOutcome } from '../decider.js'
import { judge } from '../retries.js'
import type { WebhookJob } from './context.js'
import { secretsSigning } from './secrets.js'
import { send, type SendResult } from './send.js'

// One attempt of a delivery, as a job on the webhook's stream: signed per Standard Webhooks (`webhook-id` is the
// event's id, the same on every attempt, so a receiver recognizes a redelivery), sent, recorded, and either over or
// deferred until its next attempt is due. The queue runs a stream's jobs one at a time in order, so the webhook's
// later deliveries wait behind it: in log order per endpoint, and another webhook's are not held up.
//
// At least once: a process killed after sending and before recording leaves the job to be run again after its
// restart (or by another worker once the lease expires), and the receiver gets the same webhook-id again.

/** The Standard Webhooks headers; several secrets (a rotation's overlap) give several signatures, space-separated. */
export function signedHeaders(msgId: string, at: Date, body: string, secrets: string[]): Record<string, string> {
  const signatures = secrets.map((secret) => new Signer(secret).sign(msgId, at, body))
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  }
}

const noSecret = "No signing secret is kept for this webhook (the service stopped before keeping it): rotate its secret."

export async function deliver(job: WebhookJob, deliveryId: string): Promise<void> {
  const webhook = await job.webhook()
  const delivery = webhook.deliveries[deliveryId]
  // Over already (an attempt recorded just before a restart), or never asked for.
  if (!delivery || delivery.state !== 'pending') return
  job.notStopping()
  const started = new Date()
  const secrets = await secretsSigning(job.deps.secrets, { id: job.webhookId, ...webhook }, started.getTime())
  let result: SendResult
  if (secrets.length === 0) {
    // The create's reply keeps the secret just after its commit, which this job may beat.
    if (job.deps.justAsked) throw new JobNotReady(noSecret)
    result = { httpStatus: null, error: noSecret, durationMs: 0 }
  } else {
    const body = JSON.stringify(delivery.payload)
    const { timeoutMs, allowPrivate } = job.delivery
    result = await send(new URL(webhook.url), signedHeaders(deliveryId, started, body, secrets), body, { timeoutMs, allowPrivate })
  }
  const now = Date.now()
  const roundStartedAt = delivery.roundStartedAt === null ? started.getTime() : Date.parse(delivery.roundStartedAt)
  const verdict = judge(result, delivery.roundAttempts + 1, roundStartedAt, now, job.delivery.schedule)
  const outcome: AttemptOutcome = {
    time: started.toISOString(),
    httpStatus: result.httpStatus,
    error: result.error,
    durationMs: result.durationMs,
    next: 'retryInMs' in verdict ? { retryAt: new Date(now + verdict.retryInMs).toISOString() } : verdict,
  }
  await job.record({ type: 'RecordAttempt', delivery: deliveryId, attempt: delivery.attempts + 1, outcome })
  job.delivery.metrics.attempted('retryInMs' in verdict ? 'retried' : verdict.end, delivery.payload.timestamp, now)
  if ('retryInMs' in verdict) throw new JobDeferred(verdict.retryInMs)
}
