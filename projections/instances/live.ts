import type Database from 'better-sqlite3'
import type { Projection } from '../projection.js'
import { instancesProjection } from './projection.js'
import { instanceQueries, type RenderedDetails, type RenderedPage } from './queries.js'
import { ReplyCache } from './reply-cache.js'

// The instances read model as the service runs it: its projection and its queries share the replies kept in
// memory. The projection drops what each event it applies changes, before applying it (in the batch's
// transaction); the log's commits drop what they change as they happen (the service follows the log with
// `replies.follow`). A rebuild uses the bare projection: its tables are not the live ones.

export function liveInstancesReadModel(db: Database.Database) {
  let ownerOf: Database.Statement<[string], string> | undefined
  // Prepared on first use: the tables exist once the runner has created them.
  const replies = new ReplyCache<RenderedDetails, RenderedPage>((id) =>
    (ownerOf ??= db.prepare<[string], string>('SELECT owner FROM "instances" WHERE id = ?').pluck()).get(id),
  )
  const projection: Projection = {
    ...instancesProjection,
    bind(db, table) {
      const apply = instancesProjection.bind(db, table)
      return (recorded) => {
        replies.readModelApplied(recorded)
        apply(recorded)
      }
    },
  }
  return {
    projection,
    replies,
    /** The queries, once the runner has made the tables. */
    queries: () => instanceQueries(db, undefined, replies),
  }
}
