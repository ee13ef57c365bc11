import type Database from 'better-sqlite3'
import { InstanceStatus, type InstanceStatusCode } from '../../src/instances/statuses.js'
import type { StatusView } from '../../src/platform/status-view.js'
import type { ReplyCache } from './reply-cache.js'
import { plainInfoHead, renderInfo, renderStatus } from './json.js'
import type { TableName } from '../projection.js'

// What the routes and the reactors ask of the instances read model.

export interface InstanceApplicationView {
  name: string
  id: string
  started: boolean
  type: string
}

export interface InstanceDetails {
  id: string
  name: string
  status: StatusView
  /** The stored instance_info plus master_node_id, as the details endpoint shows it. */
  info: Record<string, unknown> & { master_node_id: number | null }
  applications: InstanceApplicationView[]
}

/** The parts of a details reply: JSON texts of `info`, `status` and `applications`, and the plain id and name. */
export interface RenderedDetails {
  id: string
  name: string
  info: string
  status: string
  applications: string
}

/** A page of a list: its items as a JSON array, and how many there are in all. */
export interface RenderedPage {
  items: string
  total: number
}

export interface InstanceListItem {
  id: string
  name: string
  status: StatusView
  running_app: boolean
}

export interface RawInstance {
  uuid: string
  name: string
  instance_info: string
  status: string
  failure_message: string
}

export interface Page<T> {
  items: T[]
  total: number
}

/** instance_info as the status family shows it: the string a service VM sends (`json.dumps(specs)`). */
function infoString(stored: string): string {
  const value: unknown = JSON.parse(stored)
  return typeof value === 'string' ? value : stored
}

/** `cache`: the replies kept in memory (reply-cache.ts), for the live tables only. */
export function instanceQueries(db: Database.Database, t: TableName = (name) => name, cache?: ReplyCache<RenderedDetails, RenderedPage>) {
  // Every reply is one statement (each runs in a read transaction of its own), its JSON rendered by SQLite or
  // put together from rendered parts: no JSON.parse, no JSON.stringify of a whole reply.
  const detailsRow = db
    .prepare<[string, string], [string, string, string, string, string | null, number | null, string]>(
      `SELECT name, status, failure_message, instance_info, info_head, master_node_id,
         CASE WHEN EXISTS (SELECT 1 FROM "${t('instance_applications')}" a WHERE a.instance_id = i.id)
           THEN (SELECT json_group_array(json_object('name', a.name, 'id', a.application_id,
                   'started', json(CASE a.started WHEN 1 THEN 'true' ELSE 'false' END), 'type', a.type) ORDER BY a.position)
                 FROM "${t('instance_applications')}" a WHERE a.instance_id = i.id)
           ELSE '[]' END
       FROM "${t('instances')}" i WHERE id = ? AND owner = ?`,
    )
    .raw()
  // LIMIT takes `CAST(? AS INTEGER)`, not a bare `?`: SQLite plans with the value bound to a bare LIMIT
  // parameter, and so prepares the statement again each time one is bound (about 6 µs a query).
  // A page is one string that SQLite renders, the owner's count beside it: a row of strings per instance would
  // cost a JS string per column and a JSON.stringify or a concatenation per row.
  const listPage = db
    .prepare<{ owner: string; limit: number; offset: number; destroyed: InstanceStatusCode }, [string, number | null]>(
      `SELECT
         (SELECT '[' || coalesce(group_concat(item, ',' ORDER BY position), '') || ']' FROM (
            SELECT i.created_position AS position,
              '{"id":' || json_quote(i.id) || ',"name":' || json_quote(i.name) || ',"status":' ||
              CASE WHEN i.failure_message = '' THEN v.json
                ELSE substr(v.json, 1, length(v.json) - 1) || ',"failure_message":' || json_quote(i.failure_message) || '}' END ||
              ',"running_app":' ||
              CASE WHEN EXISTS (SELECT 1 FROM "${t('instance_applications')}" a WHERE a.instance_id = i.id AND a.started = 1)
                THEN 'true' ELSE 'false' END || '}' AS item
            FROM "${t('instances')}" i JOIN "${t('instance_status_views')}" v ON v.code = i.status
            WHERE i.owner = :owner AND i.status <> :destroyed
            ORDER BY i.created_position LIMIT CAST(:limit AS INTEGER) OFFSET :offset)),
         (SELECT active FROM "${t('instance_counts')}" WHERE owner = :owner)`,
    )
    .raw()
  const rawPage = db.prepare<[string, number, number], RawInstance>(
    `SELECT id AS uuid, name, instance_info, status, failure_message FROM "${t('instances')}"
     WHERE owner = ? ORDER BY created_position LIMIT CAST(? AS INTEGER) OFFSET ?`,
  )
  const counts = db.prepare<[string], [number, number]>(`SELECT total, active FROM "${t('instance_counts')}" WHERE owner = ?`).raw()
  const running = db.prepare<[InstanceStatusCode], number>(`SELECT count(*) FROM "${t('instances')}" WHERE status = ?`).pluck()
  /** [total, active] of one owner, or across owners for ''. */
  const countsOf = (owner: string): [number, number] => counts.get(owner) ?? [0, 0]

  // The statuses come from the caller as JSON arrays: src/instances/statuses.ts holds the only copy of each set.
  const unfinished = db.prepare<[string, string], { id: string; status: InstanceStatusCode; master_node_id: number | null }>(
    `SELECT id, status, master_node_id FROM "${t('instances')}"
     WHERE status IN (SELECT value FROM json_each(?))
        OR (master_node_id IS NULL AND status IN (SELECT value FROM json_each(?)))
     ORDER BY created_position`,
  )

  return {
    /** Instances a lifecycle job may not have finished (the restart's candidates, src/instances/jobs/index.ts): in
     *  a status of `during`, or in one of `building` with no cluster recorded. A record a service VM registered
     *  looks the same here (no master_node_id either): its stream rules it out. */
    unfinished(
      during: Iterable<InstanceStatusCode>,
      building: Iterable<InstanceStatusCode>,
    ): Array<{ id: string; status: InstanceStatusCode; master_node_id: number | null }> {
      return unfinished.all(JSON.stringify([...during]), JSON.stringify([...building]))
    },

    /** The details of the owner's instance, as the parts of the reply. */
    renderedDetails(owner: string, id: string): RenderedDetails | undefined {
      const cached = cache?.getDetails(id)
      if (cached) return cached.owner === owner ? cached.value : undefined
      const row = detailsRow.get(id, owner)
      if (!row) return undefined
      const [name, status, failureMessage, stored, head, master, applications] = row
      const info = renderInfo(head ?? plainInfoHead(id, name, stored), master)
      const details = { id, name, info, status: renderStatus(status, failureMessage), applications }
      cache?.keepDetails(id, owner, details)
      return details
    },

    details(owner: string, id: string): InstanceDetails | undefined {
      const rendered = this.renderedDetails(owner, id)
      if (!rendered) return undefined
      return {
        id: rendered.id,
        name: rendered.name,
        status: JSON.parse(rendered.status),
        info: JSON.parse(rendered.info).instance_info,
        applications: JSON.parse(rendered.applications),
      }
    },

    /** The owner's instances that are not DESTROYED, in creation order, as a JSON array. `limit` undefined: all. */
    renderedList(owner: string, limit: number | undefined, offset: number): RenderedPage {
      const key = `${limit ?? ''}:${offset}`
      const cached = cache?.getPage(owner, key)
      if (cached) return cached
      const [items, total] = listPage.get({ owner, limit: limit ?? -1, offset, destroyed: InstanceStatus.DESTROYED })!
      const page = { items, total: total ?? 0 }
      // Pages of a usual size only: a page without a limit can be every instance the owner has.
      if (limit !== undefined && limit <= 100) cache?.keepPage(owner, key, page)
      return page
    },

    list(owner: string, limit: number | undefined, offset: number): Page<InstanceListItem> {
      const { items, total } = this.renderedList(owner, limit, offset)
      return { items: JSON.parse(items), total }
    },

    count(owner: string): number {
      return countsOf(owner)[1]
    },

    /** The status family's list: every instance of the owner, destroyed included, raw. */
    rawList(owner: string, limit: number | undefined, offset: number): Page<RawInstance> {
      const items = rawPage.all(owner, limit ?? -1, offset)
      for (const item of items) item.instance_info = infoString(item.instance_info)
      return { total: countsOf(owner)[0], items }
    },

    /** Across all owners: not destroyed, STARTED, and every instance ever created. */
    globalCount(): { active: number; running: number; created: number } {
      const [created, active] = countsOf('')
      return { active, running: running.get(InstanceStatus.STARTED)!, created }
    },
  }
}

export type InstanceQueries = ReturnType<typeof instanceQueries>
