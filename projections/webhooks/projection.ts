import type Database from 'better-sqlite3'
import type { WebhookEvent } from '../../src/webhooks/events.js'
import type { RecordedEvent } from '../../src/platform/eventlog/port.js'
import { streamId } from '../../src/platform/streams.js'
import { appendRows, type Projection, type TableName } from '../projection.js'

// The webhooks read model: the owners' endpoints, and each one's deliveries with every attempt, behind
// /api/webhooks/ and …/deliveries/. The dispatcher also starts from here (which webhooks exist, since where).

const webhookEventTypes = new Set([
  'WebhookCreated', 'WebhookSecretRotated', 'WebhookDeleted', 'WebhookDeliveryRequested', 'WebhookDeliveryAttempted',
  'WebhookDelivered', 'WebhookDeliveryFailed', 'WebhookRedeliveryRequested',
])

export const webhooksProjection: Projection = {
  name: 'webhooks',
  types: [...webhookEventTypes],
  version: 1,
  tables: ['webhooks', 'webhook_deliveries', 'webhook_attempts'],
  ddl: (t) => `
    CREATE TABLE IF NOT EXISTS "${t('webhooks')}" (
      id               TEXT PRIMARY KEY,
      owner            TEXT NOT NULL,
      url              TEXT NOT NULL,
      events           TEXT NOT NULL,
      description      TEXT NOT NULL,
      generation       INTEGER NOT NULL,
      created_at       TEXT NOT NULL,
      created_position INTEGER NOT NULL,
      deleted          INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS "${t('webhooks')}_by_owner" ON "${t('webhooks')}" (owner, created_position);
    CREATE TABLE IF NOT EXISTS "${t('webhook_deliveries')}" (
      webhook_id      TEXT NOT NULL,
      delivery        TEXT NOT NULL,
      position        INTEGER NOT NULL,
      type            TEXT NOT NULL,
      event_time      TEXT NOT NULL,
      state           TEXT NOT NULL,
      next_attempt_at TEXT,
      PRIMARY KEY (webhook_id, delivery)
    );
    CREATE INDEX IF NOT EXISTS "${t('webhook_deliveries')}_in_order" ON "${t('webhook_deliveries')}" (webhook_id, position);
    CREATE TABLE IF NOT EXISTS "${t('webhook_attempts')}" (
      webhook_id      TEXT NOT NULL,
      delivery        TEXT NOT NULL,
      attempt         INTEGER NOT NULL,
      time            TEXT NOT NULL,
      http_status     INTEGER,
      error           TEXT NOT NULL,
      duration_ms     INTEGER NOT NULL,
      next_attempt_at TEXT,
      PRIMARY KEY (webhook_id, delivery, attempt)
    );`,
  bind(db, t) {
    const insert = db.prepare(`INSERT INTO "${t('webhooks')}" VALUES (?, ?, ?, ?, ?, 1, ?, ?, 0) ON CONFLICT (id) DO NOTHING`)
    const rotated = db.prepare(`UPDATE "${t('webhooks')}" SET generation = ? WHERE id = ?`)
    const deleted = db.prepare(`UPDATE "${t('webhooks')}" SET deleted = 1 WHERE id = ?`)
    const requested = db.prepare(
      `INSERT INTO "${t('webhook_deliveries')}" VALUES (?, ?, ?, ?, ?, 'pending', NULL) ON CONFLICT (webhook_id, delivery) DO NOTHING`,
    )
    const attempted = db.prepare(
      `INSERT INTO "${t('webhook_attempts')}" VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id, delivery, attempt) DO NOTHING`,
    )
    const setState = db.prepare(`UPDATE "${t('webhook_deliveries')}" SET state = ?, next_attempt_at = ? WHERE webhook_id = ? AND delivery = ?`)
    return (recorded: RecordedEvent) => {
      if (!webhookEventTypes.has(recorded.type)) return
      const id = streamId(recorded.stream)
      const event = { type: recorded.type, data: recorded.data } as WebhookEvent
      switch (event.type) {
        case 'WebhookCreated': {
          const d = event.data
          insert.run(id, d.owner, d.url, JSON.stringify(d.events), d.description, recorded.time, recorded.position)
          return
        }
        case 'WebhookSecretRotated':
          rotated.run(event.data.generation, id)
          return
        case 'WebhookDeleted':
          deleted.run(id)
          return
        case 'WebhookDeliveryRequested': {
          const { delivery, position, payload } = event.data
          requested.run(id, delivery, position, payload.type, payload.timestamp)
          return
        }
        case 'WebhookDeliveryAttempted': {
          const d = event.data
          attempted.run(id, d.delivery, d.attempt, d.time, d.http_status, d.error, d.duration_ms, d.next_attempt_at)
          setState.run('pending', d.next_attempt_at, id, d.delivery)
          return
        }
        case 'WebhookDelivered':
          setState.run('delivered', null, id, event.data.delivery)
          return
        case 'WebhookDeliveryFailed':
          setState.run('failed', null, id, event.data.delivery)
          return
        case 'WebhookRedeliveryRequested':
          setState.run('pending', null, id, event.data.delivery)
          return
      }
    }
  },
  // Each row is one webhook's (its stream's).
  mergePartition: appendRows('webhooks', 'webhook_deliveries', 'webhook_attempts'),
}

interface WebhookRow {
  id: string
  owner: string
  url: string
  events: string
  description: string
  generation: number
  created_at: string
  created_position: number
}

export interface WebhookView {
  id: string
  url: string
  events: string[]
  description: string
  secret_generation: number
  created_at: string
}

export interface AttemptView {
  attempt: number
  time: string
  http_status: number | null
  error: string
  duration_ms: number
  next_attempt_at: string | null
}

export interface DeliveryView {
  id: string
  type: string
  position: number
  event_time: string
  state: 'pending' | 'delivered' | 'failed'
  next_attempt_at: string | null
  attempts: AttemptView[]
}

const view = (row: WebhookRow): WebhookView => ({
  id: row.id,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  description: row.description,
  secret_generation: row.generation,
  created_at: row.created_at,
})

export function webhookQueries(db: Database.Database, t: TableName = (name) => name) {
  const webhooks = `"${t('webhooks')}"`
  const deliveries = `"${t('webhook_deliveries')}"`
  const attempts = `"${t('webhook_attempts')}"`
  const byId = db.prepare<[string, string], WebhookRow>(`SELECT * FROM ${webhooks} WHERE id = ? AND owner = ? AND deleted = 0`)
  const page = db.prepare<[string, number, number], WebhookRow>(
    `SELECT * FROM ${webhooks} WHERE owner = ? AND deleted = 0 ORDER BY created_position LIMIT ? OFFSET ?`,
  )
  const count = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${webhooks} WHERE owner = ? AND deleted = 0`)
  const live = db.prepare<[], { id: string; created_position: number }>(`SELECT id, created_position FROM ${webhooks} WHERE deleted = 0`)
  const deliveryPage = db.prepare<[string, number, number], Omit<DeliveryView, 'attempts' | 'id'> & { delivery: string }>(
    `SELECT delivery, type, position, event_time, state, next_attempt_at FROM ${deliveries} WHERE webhook_id = ? ORDER BY position LIMIT ? OFFSET ?`,
  )
  const deliveryCount = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${deliveries} WHERE webhook_id = ?`)
  const attemptsOf = db.prepare<[string, string], AttemptView>(
    `SELECT attempt, time, http_status, error, duration_ms, next_attempt_at FROM ${attempts} WHERE webhook_id = ? AND delivery = ? ORDER BY attempt`,
  )
  const pending = db.prepare<[], { webhook_id: string; delivery: string }>(
    `SELECT d.webhook_id, d.delivery FROM ${deliveries} d JOIN ${webhooks} w ON w.id = d.webhook_id
     WHERE d.state = 'pending' AND w.deleted = 0 ORDER BY d.webhook_id, d.position`,
  )
  return {
    list(owner: string, limit: number | undefined, offset: number): { items: WebhookView[]; total: number } {
      return { items: page.all(owner, limit ?? -1, offset).map(view), total: count.get(owner)!.n }
    },
    /** The owner's webhook; undefined for another owner's, or a deleted one. */
    details(owner: string, id: string): WebhookView | undefined {
      const row = byId.get(id, owner)
      return row && view(row)
    },
    deliveries(webhookId: string, limit: number | undefined, offset: number): { items: DeliveryView[]; total: number } {
      const items = deliveryPage.all(webhookId, limit ?? -1, offset).map(({ delivery, ...row }) => ({
        id: delivery,
        ...row,
        attempts: attemptsOf.all(webhookId, delivery),
      }))
      return { items, total: deliveryCount.get(webhookId)!.n }
    },
    /** Every webhook not deleted, with where it was created in the log: where the dispatcher picks up. */
    live: () => live.all(),
    /** Deliveries still to be made, of each webhook in log order (a log written before it had a job table). */
    pending: () => pending.all(),
  }
}

export type WebhookQueries = ReturnType<typeof webhookQueries>
