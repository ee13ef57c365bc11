import { join } from 'node:path'
import { applicationEventSchemas } from '../applications/events.js'
import { eventUpcasters } from '../instances/event-versions.js'
import { instanceEventSchemas } from '../instances/events.js'
import { webhookEventSchemas } from '../webhooks/events.js'
import { eventVersions } from '../platform/eventlog/upcast.js'
import { applicationsProjection } from '../../projections/applications/projection.js'
import { instancesProjection } from '../../projections/instances/projection.js'
import { webhooksProjection } from '../../projections/webhooks/projection.js'
import type { ReadModelRegistry } from '../../projections/fill.js'
import type { Projection } from '../../projections/projection.js'

// What the service keeps and how to read it, shared by the service and the operator's tools (lod audit,
// replay, verify, projections rebuild), so that both see the same files, event shapes and read models.

/** Every event type the log may hold, with its schema: used to decode and to verify the log. */
export const eventSchemas = { ...instanceEventSchemas, ...applicationEventSchemas, ...webhookEventSchemas } as const

/** The event types' current versions and upcasters: every reader of the log goes through them. */
export const domainEventVersions = eventVersions(eventUpcasters)

/** Every read model the service keeps up to date, in the order the runner applies them. */
export const readModels: readonly Projection[] = [instancesProjection, applicationsProjection, webhooksProjection]

/** For the rebuild's worker threads, which load this module by its URL. */
export const registry: ReadModelRegistry = { module: import.meta.url, versions: domainEventVersions, readModels }

export function dataFiles(dataDir: string) {
  return {
    events: join(dataDir, 'events.db'),
    readModels: join(dataDir, 'read.db'),
    secrets: join(dataDir, 'secrets.db'),
  }
}
