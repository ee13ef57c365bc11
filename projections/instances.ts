import type Database from 'better-sqlite3'
import type { InstanceEvent } from '../src/domain/events.js'
import { statusAfter } from '../src/domain/instance.js'
import { InstanceStatus, instanceStatusView, type InstanceStatusCode, type StatusView } from '../src/domain/statuses.js'
import type { RecordedEvent } from '../src/eventlog/port.js'
import type { Projection, TableName } from './projection.js'

// The lambda-instance read model: one row per instance, behind details, the two lists and the counts.

const instanceEventTypes = new Set([
  'InstanceRequested',
  'InstanceRegistered',
  'InstanceStartRequested',
  'InstanceStopRequested',
  'InstanceDestroyRequested',
  'InstanceStatusChanged',
  'ClusterProvisioned',
])

export const instancesProjection: Projection = {
  name: 'instances',
  version: 1,
  tables: ['instances', 'instance_applications'],
  ddl: (t) => `
    CREATE TABLE IF NOT EXISTS "${t('instances')}" (
      id               TEXT PRIMARY KEY,
      owner            TEXT NOT NULL,
      name             TEXT NOT NULL,
      status           TEXT NOT NULL,
      failure_message  TEXT NOT NULL,
      instance_info    TEXT NOT NULL,
      master_node_id   INTEGER,
      created_position INTEGER NOT NULL
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
    ) WITHOUT ROWID;`,
  bind(db, t) {
    const insert = db.prepare(
      `INSERT INTO "${t('instances')}" (id, owner, name, status, failure_message, instance_info, created_position)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    const setStatus = db.prepare(`UPDATE "${t('instances')}" SET status = ?, failure_message = ? WHERE id = ?`)
    const setMaster = db.prepare(`UPDATE "${t('instances')}" SET master_node_id = ? WHERE id = ?`)
    const stopApplications = db.prepare(`UPDATE "${t('instance_applications')}" SET started = 0 WHERE instance_id = ?`)
    const dropApplications = db.prepare(`DELETE FROM "${t('instance_applications')}" WHERE instance_id = ?`)

    return (recorded: RecordedEvent) => {
      if (!instanceEventTypes.has(recorded.type)) return
      const id = recorded.stream.slice('instance-'.length)
      const event = { type: recorded.type, data: recorded.data } as InstanceEvent
      if (event.type === 'InstanceRequested' || event.type === 'InstanceRegistered') {
        const { status, failureMessage } = statusAfter(event)!
        insert.run(id, event.data.owner, event.data.name, status, failureMessage, JSON.stringify(event.data.instance_info), recorded.position)
        return
      }
      if (event.type === 'ClusterProvisioned') {
        setMaster.run(event.data.master.id, id)
        return
      }
      const next = statusAfter(event)
      if (!next) return
      setStatus.run(next.status, next.failureMessage, id)
      // As in the original: stopping frees the job slots, destroying drops the deployments.
      if (next.status === InstanceStatus.STOPPING) stopApplications.run(id)
      if (next.status === InstanceStatus.DESTROYING) dropApplications.run(id)
    }
  },
}

interface InstanceRow {
  id: string
  owner: string
  name: string
  status: InstanceStatusCode
  failure_message: string
  instance_info: string
  master_node_id: number | null
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

/** instance_info as the details endpoint shows it: an object, whatever form a service VM registered it in. */
function infoObject(stored: string): Record<string, unknown> {
  let value: unknown = JSON.parse(stored)
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return {}
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

/** instance_info as the status family shows it: the string a service VM sends (`json.dumps(specs)`). */
function infoString(stored: string): string {
  const value: unknown = JSON.parse(stored)
  return typeof value === 'string' ? value : stored
}

export function instanceQueries(db: Database.Database, t: TableName = (name) => name) {
  const byId = db.prepare<[string, string], InstanceRow>(`SELECT * FROM "${t('instances')}" WHERE id = ? AND owner = ?`)
  const applicationsOf = db.prepare<[string], { name: string; application_id: string; started: number; type: string }>(
    `SELECT name, application_id, started, type FROM "${t('instance_applications')}" WHERE instance_id = ? ORDER BY position`,
  )
  const listPage = db.prepare<[string, number, number], InstanceRow & { running_app: number }>(
    `SELECT i.*, EXISTS (SELECT 1 FROM "${t('instance_applications')}" a WHERE a.instance_id = i.id AND a.started = 1) AS running_app
     FROM "${t('instances')}" i WHERE owner = ? AND status <> '6' ORDER BY created_position LIMIT ? OFFSET ?`,
  )
  const activeCount = db.prepare<[string], { n: number }>(
    `SELECT count(*) AS n FROM "${t('instances')}" WHERE owner = ? AND status <> '6'`,
  )
  const rawPage = db.prepare<[string, number, number], InstanceRow>(
    `SELECT * FROM "${t('instances')}" WHERE owner = ? ORDER BY created_position LIMIT ? OFFSET ?`,
  )
  const ownedCount = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM "${t('instances')}" WHERE owner = ?`)
  const globalCount = db.prepare<[], { active: number; running: number; created: number }>(
    `SELECT coalesce(sum(status <> '6'), 0) AS active, coalesce(sum(status = '0'), 0) AS running, count(*) AS created
     FROM "${t('instances')}"`,
  )

  return {
    details(owner: string, id: string): InstanceDetails | undefined {
      const row = byId.get(id, owner)
      if (!row) return undefined
      return {
        id: row.id,
        name: row.name,
        status: instanceStatusView(row.status, row.failure_message),
        info: { ...infoObject(row.instance_info), master_node_id: row.master_node_id },
        applications: applicationsOf.all(row.id).map((a) => ({
          name: a.name,
          id: a.application_id,
          started: a.started === 1,
          type: a.type,
        })),
      }
    },

    /** The owner's instances that are not DESTROYED, in creation order. `limit` undefined: all of them. */
    list(owner: string, limit: number | undefined, offset: number): Page<InstanceListItem> {
      const total = activeCount.get(owner)!.n
      const rows = listPage.all(owner, limit ?? -1, offset)
      return {
        total,
        items: rows.map((row) => ({
          id: row.id,
          name: row.name,
          status: instanceStatusView(row.status, row.failure_message),
          running_app: row.running_app === 1,
        })),
      }
    },

    count(owner: string): number {
      return activeCount.get(owner)!.n
    },

    /** The status family's list: every instance of the owner, destroyed included, raw. */
    rawList(owner: string, limit: number | undefined, offset: number): Page<RawInstance> {
      const total = ownedCount.get(owner)!.n
      return {
        total,
        items: rawPage.all(owner, limit ?? -1, offset).map((row) => ({
          uuid: row.id,
          name: row.name,
          instance_info: infoString(row.instance_info),
          status: row.status,
          failure_message: row.failure_message,
        })),
      }
    },

    /** Across all owners: not destroyed, STARTED, and every instance ever created. */
    globalCount(): { active: number; running: number; created: number } {
      return globalCount.get()!
    },
  }
}

export type InstanceQueries = ReturnType<typeof instanceQueries>
