import type Database from 'better-sqlite3'
import type { ApplicationEvent } from '../../src/applications/events.js'
import { ApplicationStatus, applicationStatusView, type ApplicationStatusCode } from '../../src/applications/statuses.js'
import { instanceStatusView, type InstanceStatusCode } from '../../src/instances/index.js'
import type { StatusView } from '../../src/platform/status-view.js'
import type { RecordedEvent } from '../../src/platform/eventlog/port.js'
import { streamId } from '../../src/platform/streams.js'
import type { Page } from '../instances/index.js'
import { appendRows, type Projection, type TableName } from '../projection.js'

// The application read model: one row per uploaded jar, behind the /api/apps/ lists, count and details.
// Where an application is deployed comes from the instance read model (instance_applications).

const applicationEventTypes = new Set([
  'AppUploadRequested', 'AppRegistered', 'AppUploaded', 'AppUploadFailed', 'AppStatusChanged', 'AppTimesStartedChanged', 'AppDeleted', 'AppDeleteFailed',
])

export const applicationsProjection: Projection = {
  name: 'applications',
  types: [...applicationEventTypes],
  version: 1,
  tables: ['applications'],
  ddl: (t) => `
    CREATE TABLE IF NOT EXISTS "${t('applications')}" (
      id                         TEXT PRIMARY KEY,
      owner                      TEXT NOT NULL,
      name                       TEXT NOT NULL,
      project_id                 TEXT NOT NULL,
      container                  TEXT NOT NULL,
      description                TEXT NOT NULL,
      type                       TEXT NOT NULL,
      execution_environment_name TEXT NOT NULL,
      status                     TEXT NOT NULL,
      failure_message            TEXT NOT NULL,
      created_position           INTEGER NOT NULL,
      times_started              INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS "${t('applications')}_by_owner" ON "${t('applications')}" (owner, created_position);
    CREATE INDEX IF NOT EXISTS "${t('applications')}_by_name" ON "${t('applications')}" (owner, project_id, name);`,
  bind(db, t) {
    const insert = db.prepare(
      `INSERT INTO "${t('applications')}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING`,
    )
    const addStarted = db.prepare(`UPDATE "${t('applications')}" SET times_started = times_started + ? WHERE id = ?`)
    const setStatus = db.prepare(`UPDATE "${t('applications')}" SET status = ?, failure_message = ? WHERE id = ?`)
    const remove = db.prepare(`DELETE FROM "${t('applications')}" WHERE id = ?`)
    return (recorded: RecordedEvent) => {
      if (!applicationEventTypes.has(recorded.type)) return
      const id = streamId(recorded.stream)
      const event = { type: recorded.type, data: recorded.data } as ApplicationEvent
      switch (event.type) {
        case 'AppUploadRequested': {
          const d = event.data
          insert.run(id, d.owner, d.name, d.project_id, d.container, d.description, d.type, d.execution_environment_name, ApplicationStatus.UPLOADING, '', recorded.position)
          return
        }
        case 'AppRegistered': {
          const d = event.data
          insert.run(id, d.owner, d.name, '', '', d.description, '', '', d.status, d.failure_message, recorded.position)
          return
        }
        case 'AppStatusChanged':
          setStatus.run(event.data.status, event.data.failure_message, id)
          return
        case 'AppTimesStartedChanged':
          addStarted.run(event.data.delta, id)
          return
        case 'AppUploaded':
          setStatus.run(ApplicationStatus.UPLOADED, '', id)
          return
        case 'AppUploadFailed':
        case 'AppDeleteFailed':
          setStatus.run(ApplicationStatus.FAILED, event.data.failure_message, id)
          return
        case 'AppDeleted':
          remove.run(id)
          return
      }
    }
  },
  // Each row is one application's.
  mergePartition: appendRows('applications'),
}

interface ApplicationRow {
  id: string
  owner: string
  name: string
  project_id: string
  container: string
  description: string
  type: string
  execution_environment_name: string
  status: ApplicationStatusCode
  failure_message: string
}

export interface ApplicationListItem {
  id: string
  name: string
  type: string
  status: StatusView
  deployed: boolean
}

export interface ApplicationDetails {
  id: string
  name: string
  path: string
  type: string
  description: string
  execution_environment_name: string
  status: StatusView
  lambda_instances: Array<{ id: string; name: string; started: boolean; status: StatusView }>
}

export function applicationQueries(db: Database.Database, t: TableName = (name) => name) {
  const apps = `"${t('applications')}"`
  const deployments = `"${t('instance_applications')}"`
  const instances = `"${t('instances')}"`
  const byId = db.prepare<[string, string], ApplicationRow>(`SELECT * FROM ${apps} WHERE id = ? AND owner = ?`)
  const page = db.prepare<[string, number, number], ApplicationRow & { deployed: number }>(
    `SELECT a.*, EXISTS (SELECT 1 FROM ${deployments} d WHERE d.application_id = a.id) AS deployed
     FROM ${apps} a WHERE owner = ? ORDER BY created_position LIMIT ? OFFSET ?`,
  )
  const count = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${apps} WHERE owner = ?`)
  const deployedOn = db.prepare<[string], { id: string; name: string; started: number; status: InstanceStatusCode; failure_message: string }>(
    `SELECT i.id, i.name, d.started, i.status, i.failure_message FROM ${deployments} d JOIN ${instances} i ON i.id = d.instance_id
     WHERE d.application_id = ? ORDER BY d.position`,
  )
  const onInstancePage = db.prepare<[string, string, number, number], ApplicationRow>(
    `SELECT a.* FROM ${deployments} d JOIN ${apps} a ON a.id = d.application_id
     WHERE d.instance_id = ? AND a.owner = ? ORDER BY d.position LIMIT ? OFFSET ?`,
  )
  const onInstanceCount = db.prepare<[string, string], { n: number }>(
    `SELECT count(*) AS n FROM ${deployments} d JOIN ${apps} a ON a.id = d.application_id WHERE d.instance_id = ? AND a.owner = ?`,
  )
  const sameName = db.prepare<[string, string, string], { id: string }>(
    `SELECT id FROM ${apps} WHERE owner = ? AND project_id = ? AND name = ? LIMIT 1`,
  )

  const rawPage = db.prepare<[string, number, number], ApplicationRow>(`SELECT * FROM ${apps} WHERE owner = ? ORDER BY created_position LIMIT ? OFFSET ?`)
  const totals = db.prepare<{ uploaded: ApplicationStatusCode }, { uploaded: number; running: number }>(
    `SELECT coalesce(sum(status = :uploaded), 0) AS uploaded,
       coalesce(sum(CASE WHEN status = :uploaded THEN times_started ELSE 0 END), 0) AS running FROM ${apps}`,
  )
  const users = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM (SELECT owner FROM ${apps} UNION SELECT owner FROM "${t('instances')}")`)

  const uploadingIds = db.prepare<[ApplicationStatusCode], string>(`SELECT id FROM ${apps} WHERE status = ? AND container <> ''`).pluck()
  const allIds = db.prepare<[], string>(`SELECT id FROM ${apps} ORDER BY created_position`).pluck()
  const instancesWithDeployments = db
    .prepare<[], string>(`SELECT instance_id FROM ${deployments} GROUP BY instance_id ORDER BY min(position)`)
    .pluck()

  const item = (row: ApplicationRow, deployed: boolean): ApplicationListItem => ({
    id: row.id,
    name: row.name,
    type: row.type,
    status: applicationStatusView(row.status, row.failure_message),
    deployed,
  })

  return {
    list(owner: string, limit: number | undefined, offset: number): Page<ApplicationListItem> {
      return { total: count.get(owner)!.n, items: page.all(owner, limit ?? -1, offset).map((row) => item(row, row.deployed === 1)) }
    },

    count(owner: string): number {
      return count.get(owner)!.n
    },

    /** The application as the owner sees it, with the instances it is deployed on. */
    find(owner: string, id: string): (ApplicationRow & { instances: ReturnType<typeof deployedOn.all> }) | undefined {
      const row = byId.get(id, owner)
      return row && { ...row, instances: deployedOn.all(id) }
    },

    details(owner: string, id: string): ApplicationDetails | undefined {
      const row = byId.get(id, owner)
      if (!row) return undefined
      return {
        id: row.id,
        name: row.name,
        path: row.container,
        type: row.type,
        description: row.description,
        execution_environment_name: row.execution_environment_name,
        status: applicationStatusView(row.status, row.failure_message),
        lambda_instances: deployedOn.all(id).map((i) => ({
          id: i.id,
          name: i.name,
          started: i.started === 1,
          status: instanceStatusView(i.status, ''),
        })),
      }
    },

    /** The owner's applications deployed on one instance. */
    onInstance(owner: string, instanceId: string, limit: number | undefined, offset: number): Page<ApplicationListItem> {
      return {
        total: onInstanceCount.get(instanceId, owner)!.n,
        items: onInstancePage.all(instanceId, owner, limit ?? -1, offset).map((row) => item(row, true)),
      }
    },

    /** The status family's list: the owner's applications, raw. */
    rawList(owner: string, limit: number | undefined, offset: number) {
      return {
        total: count.get(owner)!.n,
        items: rawPage.all(owner, limit ?? -1, offset).map((row) => ({
          uuid: row.id,
          description: row.description,
          name: row.name,
          status: row.status,
          failure_message: row.failure_message,
        })),
      }
    },

    /** Across owners: UPLOADED applications, and how often those were started. */
    totals(): { uploaded: number; running: number } {
      return totals.get({ uploaded: ApplicationStatus.UPLOADED })!
    },

    /** Everyone who owns an instance or an application here. */
    userCount(): number {
      return users.get()!.n
    },

    /** Uploads not yet on Pithos (a reactor's unfinished work). */
    uploading(): string[] {
      return uploadingIds.all(ApplicationStatus.UPLOADING)
    },

    /** Every application not deleted (one may have a delete still to do on Pithos). */
    ids(): string[] {
      return allIds.all()
    },

    /** The instances with a deployment (one may have an application job still to do on its master). */
    instancesWithDeployments(): string[] {
      return instancesWithDeployments.all()
    },

    nameTaken(owner: string, projectId: string, name: string): boolean {
      return sameName.get(owner, projectId, name) !== undefined
    },
  }
}

export type ApplicationQueries = ReturnType<typeof applicationQueries>
