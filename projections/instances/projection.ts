import type Database from 'better-sqlite3'
import type { DeploymentEventType } from '../../src/instances/deployment-events.js'
import type { InstanceEvent } from '../../src/instances/events.js'
import { statusAfter } from '../../src/instances/status-after.js'
import { InstanceStatus, instanceStatusCodes, type InstanceStatusCode } from '../../src/instances/statuses.js'
import type { StatusView } from '../../src/platform/status-view.js'
import type { RecordedEvent } from '../../src/platform/eventlog/port.js'
import { streamId } from '../../src/platform/streams.js'
import { replyCacheOf } from './reply-cache.js'
import { isPlainInfo, plainInfoHead, renderInfo, renderInfoHead, renderStatus } from './json.js'
import { appendRows, type Fold, type Projection, type TableName } from '../projection.js'

// The lambda-instance read model: one row per instance, behind details, the two lists and the counts.

const instanceEventTypes = new Set([
  'InstanceRequested',
  'InstanceRegistered',
  'InstanceStartRequested',
  'InstanceStopRequested',
  'InstanceDestroyRequested',
  'InstanceStatusChanged',
  'ClusterProvisioned',
  // The deployment events that change instance_applications (applicationStatements); the others change nothing.
  ...(['AppDeployRequested', 'AppDeployFailed', 'AppWithdrawn', 'AppStarted', 'AppStopped', 'AppJobFailed'] satisfies DeploymentEventType[]),
])

const statusViewRows = instanceStatusCodes.map((code) => `('${code}', '${renderStatus(code, '').replaceAll("'", "''")}')`).join(', ')

export const instancesProjection: Projection = {
  name: 'instances',
  types: [...instanceEventTypes],
  // 3: info_head (the details' info, rendered, when it cannot be made from instance_info by concatenation) and
  // the instance counts.
  version: 3,
  tables: ['instances', 'instance_applications', 'instance_counts', 'instance_status_views'],
  ddl: (t) => `
    CREATE TABLE IF NOT EXISTS "${t('instances')}" (
      id               TEXT PRIMARY KEY,
      owner            TEXT NOT NULL,
      name             TEXT NOT NULL,
      status           TEXT NOT NULL,
      failure_message  TEXT NOT NULL,
      instance_info    TEXT NOT NULL,
      master_node_id   INTEGER,
      created_position INTEGER NOT NULL,
      info_head        TEXT
    );
    CREATE INDEX IF NOT EXISTS "${t('instances')}_by_owner" ON "${t('instances')}" (owner, created_position);
    CREATE TABLE IF NOT EXISTS "${t('instance_applications')}" (
      instance_id    TEXT NOT NULL,
      application_id TEXT NOT NULL,
      name           TEXT NOT NULL,
      type           TEXT NOT NULL,
      started        INTEGER NOT NULL,
      position       INTEGER NOT NULL,
      PRIMARY KEY (instance_id, application_id)
    ) WITHOUT ROWID;
    -- Instances per owner, and across owners under the owner '': a count, and the total of a paginated list,
    -- then cost the same at ten instances as at a million.
    CREATE TABLE IF NOT EXISTS "${t('instance_counts')}" (
      owner  TEXT PRIMARY KEY,
      total  INTEGER NOT NULL,
      active INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Each status as the API shows it without a failure message, so that SQLite can render a list page whole.
    CREATE TABLE IF NOT EXISTS "${t('instance_status_views')}" (code TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
    INSERT OR REPLACE INTO "${t('instance_status_views')}" VALUES ${statusViewRows};`,
  bind(db, t) {
    const insert = db.prepare(
      `INSERT INTO "${t('instances')}" (id, owner, name, status, failure_message, instance_info, created_position, info_head)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    const counted = db.prepare(
      `INSERT INTO "${t('instance_counts')}" (owner, total, active) VALUES (?, 1, ?), ('', 1, ?)
       ON CONFLICT (owner) DO UPDATE SET total = total + 1, active = active + excluded.active`,
    )
    // DESTROYED is final (the decider refuses any change after it): the update skips destroyed rows, so that
    // the counts need to know only of the change that destroys. Reading the old status of every update instead
    // (or a trigger) would cost a rebuild about a third more time.
    const setStatus = db.prepare(`UPDATE "${t('instances')}" SET status = ?, failure_message = ? WHERE id = ? AND status <> '6'`)
    const destroyed = db.prepare(
      `UPDATE "${t('instance_counts')}" SET active = active - 1 WHERE owner IN ((SELECT owner FROM "${t('instances')}" WHERE id = ?), '')`,
    )
    const setMaster = db.prepare(`UPDATE "${t('instances')}" SET master_node_id = ? WHERE id = ?`)
    const applications = applicationStatements(db, t)
    const cache = t('instances') === 'instances' ? replyCacheOf(db) : undefined

    return (recorded: RecordedEvent) => {
      cache?.readModelApplied(recorded)
      if (!instanceEventTypes.has(recorded.type)) return
      const id = streamId(recorded.stream)
      const event = { type: recorded.type, data: recorded.data } as InstanceEvent
      if (event.type === 'InstanceRequested' || event.type === 'InstanceRegistered') {
        const row = newRow(id, event, recorded.position)
        if (insert.run(row[0], row[1], row[2], row[3], row[4], row[5], row[7], row[8]).changes === 0) return
        const active = row[3] === InstanceStatus.DESTROYED ? 0 : 1
        counted.run(row[1], active, active)
        return
      }
      if (event.type === 'ClusterProvisioned') {
        setMaster.run(event.data.master.id, id)
        return
      }
      if (applications.apply(id, event, recorded.position)) return
      const next = statusAfter(event)
      if (!next) return
      if (setStatus.run(next.status, next.failureMessage, id).changes === 0) return
      if (next.status === InstanceStatus.DESTROYED) destroyed.run(id)
      applications.statusChanged(id, next.status)
    }
  },

  fold: (db, t) => foldInstances(db, t),
  // Rows are one instance's; counts are sums; the status views are the same in every partition.
  mergePartition(db, schema, t) {
    appendRows('instances', 'instance_applications')(db, schema, t)
    db.exec(`INSERT INTO "${t('instance_counts')}" SELECT * FROM ${schema}."instance_counts" WHERE true
      ON CONFLICT (owner) DO UPDATE SET total = total + excluded.total, active = active + excluded.active`)
  },
}

/** The instances projection's fold (Projection.fold), keeping at most `keptRows` rows (some 1 KB each) in memory. */
export function foldInstances(db: Database.Database, t: TableName, keptRows = 20_000): Fold {
  const write = db.prepare(
    `INSERT INTO "${t('instances')}" (id, owner, name, status, failure_message, instance_info, master_node_id, created_position, info_head)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, failure_message = excluded.failure_message, master_node_id = excluded.master_node_id`,
  )
  const read = db
    .prepare<[string], InstanceRow>(
      `SELECT id, owner, name, status, failure_message, instance_info, master_node_id, created_position, info_head
       FROM "${t('instances')}" WHERE id = ?`,
    )
    .raw()
  const addCounts = db.prepare(
    `INSERT INTO "${t('instance_counts')}" (owner, total, active) VALUES (?, ?, ?)
     ON CONFLICT (owner) DO UPDATE SET total = total + excluded.total, active = active + excluded.active`,
  )
  const applications = applicationStatements(db, t)
  // Rows as of the last event, the most recently created last. Each is written once, when it is forgotten or at
  // the flush: beyond `keptRows` the oldest are written and forgotten, and read back if their instance has
  // events again: however long the log, memory grows only by the id of each forgotten instance. The table holds
  // only what this fold wrote, so an instance neither kept nor forgotten has no row.
  const rows = new Map<string, InstanceRow>()
  const changed = new Set<InstanceRow>()
  const forgotten = new Set<string>()
  const deployed = new Set<string>()
  const counts = new Map<string, [total: number, active: number]>()
  const count = (owner: string, total: number, active: number) => {
    for (const key of [owner, '']) {
      const delta = counts.get(key)
      if (delta) {
        delta[0] += total
        delta[1] += active
      } else counts.set(key, [total, active])
    }
  }
  const rowOf = (id: string): InstanceRow | undefined => {
    let row = rows.get(id)
    if (row === undefined && forgotten.delete(id)) {
      row = read.get(id)!
      rows.set(id, row)
    }
    return row
  }
  const forgetOldest = () => {
    let forget = rows.size - keptRows / 2
    for (const [id, row] of rows) {
      if (forget-- === 0) break
      if (changed.delete(row)) write.run(...row)
      rows.delete(id)
      forgotten.add(id)
    }
  }

  const changeStatus = (id: string, next: { status: InstanceStatusCode; failureMessage: string }) => {
    const row = rowOf(id)
    if (!row || row[3] === InstanceStatus.DESTROYED) return
    row[3] = next.status
    row[4] = next.failureMessage
    changed.add(row)
    if (next.status === InstanceStatus.DESTROYED) count(row[1], 0, -1)
    // Only a deploy makes rows in instance_applications, and this fold made every row there is.
    if (deployed.has(id)) applications.statusChanged(id, next.status)
  }

  return {
    apply(recorded) {
      if (!instanceEventTypes.has(recorded.type)) return
      const id = streamId(recorded.stream)
      const plain = recorded.type === 'InstanceStatusChanged' ? recorded.matchStoredData?.(plainStatusChange) : undefined
      if (plain) return changeStatus(id, { status: plain[1] as InstanceStatusCode, failureMessage: '' })
      const event = { type: recorded.type, data: recorded.data } as InstanceEvent
      if (event.type === 'InstanceRequested' || event.type === 'InstanceRegistered') {
        if (rowOf(id)) return
        const row = newRow(id, event, recorded.position)
        rows.set(id, row)
        changed.add(row)
        count(row[1], 1, row[3] === InstanceStatus.DESTROYED ? 0 : 1)
        if (rows.size > keptRows) forgetOldest()
        return
      }
      if (event.type === 'ClusterProvisioned') {
        const row = rowOf(id)
        if (row) {
          row[6] = event.data.master.id
          changed.add(row)
        }
        return
      }
      if (applications.apply(id, event, recorded.position)) {
        if (event.type === 'AppDeployRequested') deployed.add(id)
        return
      }
      const next = statusAfter(event)
      if (next) changeStatus(id, next)
    },
    flush() {
      for (const row of changed) write.run(...row)
      changed.clear()
      for (const [owner, [total, active]] of counts) addCounts.run(owner, total, active)
      counts.clear()
    },
  }
}

/** An InstanceStatusChanged's data as the decider writes it when there is no failure message: most of a log's
 *  events, read by a fold without JSON.parse (decoding them was a quarter of a rebuild's time). */
const plainStatusChange = /^\{"status":"(\d{1,2})","failure_message":"","source":"[a-z-]+"\}$/

/** An instances row, in the table's column order. */
type InstanceRow = [
  id: string,
  owner: string,
  name: string,
  status: string,
  failure_message: string,
  instance_info: string,
  master_node_id: number | null,
  created_position: number,
  info_head: string | null,
]

function newRow(id: string, event: Extract<InstanceEvent, { type: 'InstanceRequested' | 'InstanceRegistered' }>, position: number): InstanceRow {
  const { status, failureMessage } = statusAfter(event)!
  const { owner, name, instance_info } = event.data
  // What a create stores needs no rendering: the details concatenate it (instance-json.ts).
  const head = isPlainInfo(instance_info) ? null : renderInfoHead(id, name, instance_info)
  return [id, owner, name, status, failureMessage, JSON.stringify(instance_info), null, position, head]
}

/** Deployments, in instance_applications: written as each event comes, by `bind` and `fold` alike. */
function applicationStatements(db: Database.Database, t: TableName) {
  const deploy = db.prepare(
    `INSERT INTO "${t('instance_applications')}" (instance_id, application_id, name, type, started, position)
     VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`,
  )
  const undeploy = db.prepare(`DELETE FROM "${t('instance_applications')}" WHERE instance_id = ? AND application_id = ?`)
  const setStarted = db.prepare(`UPDATE "${t('instance_applications')}" SET started = ? WHERE instance_id = ? AND application_id = ?`)
  const stopApplications = db.prepare(`UPDATE "${t('instance_applications')}" SET started = 0 WHERE instance_id = ?`)
  const dropApplications = db.prepare(`DELETE FROM "${t('instance_applications')}" WHERE instance_id = ?`)
  return {
    /** Applies a deployment event; false for any other event. */
    apply(id: string, event: InstanceEvent, position: number): boolean {
      switch (event.type) {
        case 'AppDeployRequested':
          deploy.run(id, event.data.app_id, event.data.name, event.data.type, position)
          return true
        case 'AppDeployFailed':
        case 'AppWithdrawn':
          undeploy.run(id, event.data.app_id)
          return true
        case 'AppStarted':
          setStarted.run(1, id, event.data.app_id)
          return true
        case 'AppStopped':
          setStarted.run(0, id, event.data.app_id)
          return true
        case 'AppJobFailed':
          if (event.data.action !== 'withdraw') setStarted.run(event.data.action === 'stop' ? 1 : 0, id, event.data.app_id)
          return true
        default:
          return false
      }
    },
    /** As in the original: stopping frees the job slots, destroying drops the deployments. */
    statusChanged(id: string, status: string): void {
      if (status === InstanceStatus.STOPPING) stopApplications.run(id)
      if (status === InstanceStatus.DESTROYING) dropApplications.run(id)
    },
  }
}

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

export function instanceQueries(db: Database.Database, t: TableName = (name) => name) {
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
    .prepare<{ owner: string; limit: number; offset: number }, [string, number | null]>(
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
            WHERE i.owner = :owner AND i.status <> '6'
            ORDER BY i.created_position LIMIT CAST(:limit AS INTEGER) OFFSET :offset)),
         (SELECT active FROM "${t('instance_counts')}" WHERE owner = :owner)`,
    )
    .raw()
  const rawPage = db.prepare<[string, number, number], RawInstance>(
    `SELECT id AS uuid, name, instance_info, status, failure_message FROM "${t('instances')}"
     WHERE owner = ? ORDER BY created_position LIMIT CAST(? AS INTEGER) OFFSET ?`,
  )
  const counts = db.prepare<[string], [number, number]>(`SELECT total, active FROM "${t('instance_counts')}" WHERE owner = ?`).raw()
  const running = db.prepare<[], number>(`SELECT count(*) FROM "${t('instances')}" WHERE status = '0'`).pluck()
  /** [total, active] of one owner, or across owners for ''. */
  const countsOf = (owner: string): [number, number] => counts.get(owner) ?? [0, 0]
  // Replies kept rendered in memory (reply-cache.ts): the live tables' only.
  const cache = t('instances') === 'instances' ? replyCacheOf<RenderedDetails, RenderedPage>(db) : undefined
  if (cache) {
    const ownerOf = db.prepare<[string], string>(`SELECT owner FROM "${t('instances')}" WHERE id = ?`).pluck()
    cache.lookupOwner = (id) => ownerOf.get(id)
  }

  // The candidates of the runner's lifecycleJob (src/platform/jobs/runner.ts): PENDING, STARTING, STOPPING or
  // DESTROYING; or still building (stillBuilding: PENDING, CLUSTER_CREATED or an install stage, STARTED among
  // them, which a service VM may report before the cluster is recorded) with no cluster recorded. A record a
  // service VM registered looks the same here (no master_node_id either): its stream rules it out.
  const unfinished = db.prepare<[], { id: string; status: InstanceStatusCode; master_node_id: number | null }>(
    `SELECT id, status, master_node_id FROM "${t('instances')}"
     WHERE status IN ('2', '3', '4', '5')
        OR (master_node_id IS NULL AND status IN ('0', '10', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23'))
     ORDER BY created_position`,
  )

  return {
    /** Instances a reactor job may still have work on: PENDING, STARTING, STOPPING, DESTROYING, or reporting
     *  install stages before their cluster was recorded. */
    unfinished(): Array<{ id: string; status: InstanceStatusCode; master_node_id: number | null }> {
      return unfinished.all()
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
      const [items, total] = listPage.get({ owner, limit: limit ?? -1, offset })!
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
      return { active, running: running.get()!, created }
    },
  }
}

export type InstanceQueries = ReturnType<typeof instanceQueries>
