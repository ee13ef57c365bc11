import type Database from 'better-sqlite3'
import type { DeploymentEventType } from '../../src/instances/deployment-events.js'
import type { InstanceEvent } from '../../src/instances/events.js'
import { statusAfter } from '../../src/instances/status-after.js'
import { InstanceStatus } from '../../src/instances/statuses.js'
import { isPlainInfo, renderInfoHead } from './json.js'
import type { TableName } from '../projection.js'

// The instances table's rows and the deployments beside them, written alike by the live projection and the fold.

export const instanceEventTypes = new Set([
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

/** An instances row, in the table's column order. */
export type InstanceRow = [
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

export function newRow(id: string, event: Extract<InstanceEvent, { type: 'InstanceRequested' | 'InstanceRegistered' }>, position: number): InstanceRow {
  const { status, failureMessage } = statusAfter(event)!
  const { owner, name, instance_info } = event.data
  // What a create stores needs no rendering: the details concatenate it (json.ts).
  const head = isPlainInfo(instance_info) ? null : renderInfoHead(id, name, instance_info)
  return [id, owner, name, status, failureMessage, JSON.stringify(instance_info), null, position, head]
}

/** Deployments, in instance_applications: written as each event comes, by `bind` and `fold` alike. */
export function applicationStatements(db: Database.Database, t: TableName) {
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
