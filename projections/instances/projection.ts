import type { InstanceEvent } from '../../src/instances/events.js'
import { statusAfter } from '../../src/instances/status-after.js'
import { InstanceStatus, instanceStatusCodes, type InstanceStatusCode } from '../../src/instances/statuses.js'
import type { RecordedEvent } from '../../src/platform/eventlog/port.js'
import { streamId } from '../../src/platform/streams.js'
import { renderStatus } from './json.js'
import { appendRows, type Projection } from '../projection.js'
import { applicationStatements, instanceEventTypes, newRow } from './rows.js'
import { foldInstances } from './fold.js'

// The lambda-instance read model: one row per instance, behind details, the two lists and the counts.

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
    const setStatus = db.prepare<[InstanceStatusCode, string, string, InstanceStatusCode]>(
      `UPDATE "${t('instances')}" SET status = ?, failure_message = ? WHERE id = ? AND status <> ?`,
    )
    const destroyed = db.prepare(
      `UPDATE "${t('instance_counts')}" SET active = active - 1 WHERE owner IN ((SELECT owner FROM "${t('instances')}" WHERE id = ?), '')`,
    )
    const setMaster = db.prepare(`UPDATE "${t('instances')}" SET master_node_id = ? WHERE id = ?`)
    const applications = applicationStatements(db, t)

    return (recorded: RecordedEvent) => {
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
      if (setStatus.run(next.status, next.failureMessage, id, InstanceStatus.DESTROYED).changes === 0) return
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
