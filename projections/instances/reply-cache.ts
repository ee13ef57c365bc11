import type { EventLog, RecordedEvent, Subscription } from '../../src/platform/eventlog/port.js'
import { instanceCategory } from '../../src/instances/events.js'
import { parseStream } from '../../src/platform/streams.js'

// Replies of the instance read model, rendered, kept in memory: the details of recently read instances, and
// recently read pages of owners' lists. A hit answers without a statement (each runs a read transaction of its
// own) and without rendering. Nothing kept is ever staler than the read model:
//   - an event committed to the log for an instance drops its details and its owner's pages (every append
//     happens in this process); so does the read model applying one (a batch that rolled back, applied again);
//   - nothing is kept while the read model is behind the log, so what is kept was read after every commit;
//   - a read model that skipped positions (a rebuild in another process swapped its tables in) drops it all.

export interface Cached<T> {
  owner: string
  value: T
}

const maxOwners = 50_000
const maxPages = 1_000

export class ReplyCache<D, P> {
  private readonly details = new Map<string, Cached<D>>()
  private readonly pages = new Map<string, Map<string, P>>()
  private pageCount = 0
  /** Owners of instances, as events and lookups told them: which pages an event changes. */
  private readonly owners = new Map<string, string>()
  /** The newest position the live read model applied here, and the newest committed to the log. */
  private applied = 0
  private committed = 0
  constructor(
    /** The owner of an instance, from the read model. */
    private readonly lookupOwner: (id: string) => string | undefined,
    private readonly maxEntries = 10_000,
  ) {}

  getDetails(id: string): Cached<D> | undefined {
    return this.details.get(id)
  }

  getPage(owner: string, key: string): P | undefined {
    return this.pages.get(owner)?.get(key)
  }

  /** Keeps what the read model answered, unless it may be behind the log. */
  keepDetails(id: string, owner: string, value: D): void {
    if (this.applied < this.committed) return
    if (this.details.size >= this.maxEntries) this.details.delete(this.details.keys().next().value!)
    this.details.set(id, { owner, value })
    this.learn(id, owner)
  }

  keepPage(owner: string, key: string, value: P): void {
    if (this.applied < this.committed) return
    if (this.pageCount >= maxPages) this.dropPages(this.pages.keys().next().value!)
    let pages = this.pages.get(owner)
    if (!pages) this.pages.set(owner, (pages = new Map()))
    if (!pages.has(key)) this.pageCount++
    pages.set(key, value)
  }

  /** The live read model applied an event (in position order, inside its transaction). */
  readModelApplied(event: RecordedEvent): void {
    if (event.position !== this.applied + 1) this.clear()
    this.applied = event.position
    this.drop(event)
  }

  /** Events were committed to the log. */
  logCommitted(events: readonly RecordedEvent[]): void {
    for (const event of events) this.drop(event)
    this.committed = Math.max(this.committed, events[events.length - 1]?.position ?? 0)
  }

  /** Follows the log's commits from `position` (its head: the read model has caught up with it). */
  follow(log: EventLog, position: number): Subscription {
    this.committed = Math.max(this.committed, position)
    this.applied = Math.max(this.applied, position)
    return log.subscribe(position, (events) => this.logCommitted(events))
  }

  private drop(event: RecordedEvent): void {
    const { category, id } = parseStream(event.stream)
    if (category !== instanceCategory) return
    this.details.delete(id)
    if (this.pages.size === 0) return
    const owner = ownerIn(event) ?? this.owners.get(id) ?? this.lookupOwner(id)
    if (owner === undefined) this.clearPages()
    else {
      this.dropPages(owner)
      this.learn(id, owner)
    }
  }

  private dropPages(owner: string): void {
    this.pageCount -= this.pages.get(owner)?.size ?? 0
    this.pages.delete(owner)
  }

  private clearPages(): void {
    this.pages.clear()
    this.pageCount = 0
  }

  private learn(id: string, owner: string): void {
    if (this.owners.size >= maxOwners) this.owners.clear()
    this.owners.set(id, owner)
  }

  private clear(): void {
    this.details.clear()
    this.clearPages()
  }
}

/** The owner an instance's creation names. */
function ownerIn(event: RecordedEvent): string | undefined {
  if (event.type !== 'InstanceRequested' && event.type !== 'InstanceRegistered') return undefined
  const owner = (event.data as { owner?: unknown } | null)?.owner
  return typeof owner === 'string' ? owner : undefined
}
