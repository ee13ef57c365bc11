import type { EventLog, RecordedEvent, Subscription } from '../../platform/eventlog/port.js'
import { inCategory, streamId } from '../../platform/streams.js'
import { webhookCategory, webhookStream, type DeliveryPayload, type WebhookEvent, type WebhookEventType } from '../events.js'
import type { WebhookCommands } from './context.js'

// The dispatcher: follows the log and, for each status change, asks each matching webhook (the change's owner's,
// whose filter takes its type, created before it) for a delivery, by appending WebhookDeliveryRequested to the
// webhook's stream, which queues the delivery job. An event does not know the webhooks; this is where they meet.
//
// Its progress is in the log, not beside it: each webhook's stream says the position of the last event it was
// asked to deliver, and the decider drops what is at or before it. So dispatchers of several processes or nodes, and
// one restarted after a crash, never ask twice (their appends carry an expected version; on a conflict the handler
// reloads the stream and decides again), and none skips an event: after a restart it reads again from the earliest
// progress of the webhooks there are.

/** A status change, as the slice that has it tells: what a webhook delivers of it, and whose it is. */
export interface StatusChange {
  type: WebhookEventType
  /** The owner, when the event says it (a create); else `ownerOf` finds it. */
  owner?: string
  /** The subject whose owner `ownerOf` finds. */
  subject: string
  data: Record<string, unknown>
}

export interface DispatcherDeps {
  log: EventLog
  webhooks: WebhookCommands
  /** The status change an event is, if it is one. */
  statusChangeOf(event: RecordedEvent): StatusChange | undefined
  /** The owner of an instance or application (`type` says which). */
  ownerOf(type: WebhookEventType, subject: string): Promise<string | undefined>
  /** Webhooks not deleted, with their creation's position, as this node's read model has them, and that read
   *  model's position: the dispatcher starts from these and reads the rest from the log. */
  liveWebhooks(): Array<{ id: string; created_position: number }>
  readModelPosition(): number
  /** How often the log is looked at without being told of a commit (1 s by default). */
  pollMs?: number
  onError(error: unknown): void
}

interface Endpoint {
  owner: string
  events: ReadonlySet<string>
  /** Events at or before it are not this webhook's: its creation, or the last one it was asked to deliver. */
  after: number
}

const batchSize = 1000
const maxOwners = 100_000

export class WebhookDispatcher {
  private readonly endpoints = new Map<string, Endpoint>()
  /** Owners of instances and applications, which never change: looked up once. */
  private readonly owners = new Map<string, string>()
  private position = 0
  private stopped = false
  private subscription: Subscription | undefined
  private wakeUp: (() => void) | undefined
  /** A commit was heard while no wait was on: look again at once. */
  private woken = false
  private running: Promise<void> | undefined
  /** Waiting for a commit, having read the log up to `position`. */
  private idle = false

  constructor(private readonly deps: DispatcherDeps) {}

  async start(): Promise<void> {
    let from = this.deps.readModelPosition()
    for (const { id, created_position } of this.deps.liveWebhooks()) {
      const { state } = await this.deps.webhooks.load(webhookStream(id))
      if (!state.exists || state.deleted) continue
      const after = Math.max(created_position, state.requestedUpTo)
      this.endpoints.set(id, { owner: state.owner, events: new Set(state.events), after })
      from = Math.min(from, after)
    }
    this.position = from
    this.subscription = this.deps.log.subscribe(await this.deps.log.headPosition(), (events) => {
      // With no webhook to deliver to, a commit that creates none asks for nothing: passed over without reading
      // it back from the log, which every status POST would otherwise pay for.
      const follows = events[0]?.position === this.position + 1
      if (this.idle && this.endpoints.size === 0 && follows && !events.some((e) => inCategory(e.stream, webhookCategory))) {
        this.position = events.at(-1)!.position
        return
      }
      if (this.wakeUp) this.wakeUp()
      else this.woken = true
    })
    this.running = this.follow()
  }

  /** Where it has read the log up to (tests). */
  get readUpTo(): number {
    return this.position
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        const batch = await this.deps.log.readAll(this.position, batchSize)
        if (batch.length > 0) {
          await this.dispatch(batch)
          this.position = batch.at(-1)!.position
          continue
        }
      } catch (error) {
        // The same batch again after the pause: what was asked for already is dropped by the webhooks' streams.
        this.deps.onError(error)
      }
      if (this.woken) {
        this.woken = false
        continue
      }
      this.idle = true
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollMs ?? 1000)
        this.wakeUp = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.idle = false
      this.wakeUp = undefined
    }
  }

  private async dispatch(batch: RecordedEvent[]): Promise<void> {
    const asked = new Map<string, Array<{ delivery: string; position: number; payload: DeliveryPayload }>>()
    for (const event of batch) {
      if (inCategory(event.stream, webhookCategory)) {
        this.follows(event)
        continue
      }
      const change = this.endpoints.size > 0 ? this.deps.statusChangeOf(event) : undefined
      if (!change) continue
      const interested = [...this.endpoints].filter(([, e]) => event.position > e.after && (e.events.has('*') || e.events.has(change.type)))
      if (interested.length === 0) continue
      const owner = await this.ownerOf(change)
      const payload: DeliveryPayload = { type: change.type, timestamp: event.time, data: { ...change.data, position: event.position } }
      for (const [id, endpoint] of interested) {
        if (endpoint.owner !== owner) continue
        const list = asked.get(id) ?? []
        list.push({ delivery: event.id, position: event.position, payload })
        asked.set(id, list)
      }
    }
    for (const [id, deliveries] of asked) {
      await this.deps.webhooks.handle(webhookStream(id), { type: 'RequestDeliveries', deliveries }, { metadata: { actor: 'webhooks' } })
      const endpoint = this.endpoints.get(id)
      if (endpoint) endpoint.after = Math.max(endpoint.after, deliveries.at(-1)!.position)
    }
  }

  /** A webhook created or deleted as the log goes. */
  private follows(recorded: RecordedEvent): void {
    const event = { type: recorded.type, data: recorded.data } as WebhookEvent
    const id = streamId(recorded.stream)
    if (event.type === 'WebhookCreated' && !this.endpoints.has(id))
      this.endpoints.set(id, { owner: event.data.owner, events: new Set(event.data.events), after: recorded.position })
    else if (event.type === 'WebhookDeleted') this.endpoints.delete(id)
  }

  private async ownerOf(change: StatusChange): Promise<string | undefined> {
    const key = `${change.type} ${change.subject}`
    const owner = change.owner ?? this.owners.get(key) ?? (await this.deps.ownerOf(change.type, change.subject))
    if (owner !== undefined && !this.owners.has(key)) {
      if (this.owners.size >= maxOwners) this.owners.delete(this.owners.keys().next().value!)
      this.owners.set(key, owner)
    }
    return owner
  }

  async close(): Promise<void> {
    this.stopped = true
    this.subscription?.close()
    this.wakeUp?.()
    await this.running
  }
}
