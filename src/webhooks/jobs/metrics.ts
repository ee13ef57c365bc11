import { Counter, Histogram, Registry } from 'prom-client'

// The deliveries' metrics, in a registry of their own that /metrics adds to its own (they are counted where the
// reactors run): attempts by outcome, and how long after its event a delivery arrived.

export type AttemptOutcome = 'delivered' | 'retried' | 'failed'

export class DeliveryMetrics {
  readonly registry = new Registry()
  private readonly attempts = new Counter({
    name: 'lod_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retried (to be tried again), failed (given up).',
    labelNames: ['outcome'],
    registers: [this.registry],
  })
  private readonly lag = new Histogram({
    name: 'lod_webhook_delivery_lag_seconds',
    help: 'Time from an event to its delivery being acknowledged by the receiver.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400],
    registers: [this.registry],
  })

  attempted(outcome: AttemptOutcome, eventTime: string, now: number): void {
    this.attempts.inc({ outcome })
    if (outcome === 'delivered') this.lag.observe(Math.max(0, now - Date.parse(eventTime)) / 1000)
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
