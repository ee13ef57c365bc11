import type Database from 'better-sqlite3'
import type { InstanceEvent } from '../../src/instances/events.js'
import { statusAfter } from '../../src/instances/status-after.js'
import { InstanceStatus, type InstanceStatusCode } from '../../src/instances/statuses.js'
import { streamId } from '../../src/platform/streams.js'
import type { Fold, TableName } from '../projection.js'
import { applicationStatements, instanceEventTypes, newRow, type InstanceRow } from './rows.js'

// A rebuild's way of filling the instances read model: rows folded in memory, each written about once.

/** An InstanceStatusChanged's data as the decider writes it when there is no failure message: most of a log's
 *  events, read by a fold without JSON.parse (decoding them was a quarter of a rebuild's time). */
const plainStatusChange = /^\{"status":"(\d{1,2})","failure_message":"","source":"[a-z-]+"\}$/

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
