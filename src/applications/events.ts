import { Type, type Static } from 'typebox'
import { streamName } from '../platform/streams.js'

// Events of applications (jars on Pithos), in their own `app-<uuid>` streams. Their deployments and jobs are the
// instances' events (src/instances/deployment-events.ts): the instance owns its job slots.

export const ApplicationType = Type.Union([Type.Literal('BATCH'), Type.Literal('STREAMING')])
export type ApplicationType = Static<typeof ApplicationType>

export const AppUploadRequested = Type.Object({
  owner: Type.String(),
  /** The file name, unique per ~okeanos project. */
  name: Type.String(),
  project_id: Type.String(),
  project_name: Type.String(),
  /** The Pithos container: one per project, `lambda_applications_<project name>`. */
  container: Type.String(),
  description: Type.String(),
  type: ApplicationType,
  execution_environment_name: Type.String(),
  /** Bytes received. */
  size: Type.Integer(),
})

const Failure = Type.Object({ failure_message: Type.String() })
const Empty = Type.Object({})

/** A record a service VM keeps at the status family (docs/original.md "Status family"): no jar of ours behind it. */
export const AppRegistered = Type.Object({
  owner: Type.String(),
  name: Type.String(),
  description: Type.String(),
  status: Type.String(),
  failure_message: Type.String(),
})

export const applicationEventSchemas = {
  AppUploadRequested,
  AppRegistered,
  AppStatusChanged: Type.Object({ status: Type.String(), failure_message: Type.String() }),
  /** The status family's counter of how often the application was started (+1 or -1). */
  AppTimesStartedChanged: Type.Object({ delta: Type.Integer() }),
  AppUploaded: Empty,
  AppUploadFailed: Failure,
  AppDeleteRequested: Empty,
  AppDeleted: Empty,
  AppDeleteFailed: Failure,
} as const

export type ApplicationEventType = keyof typeof applicationEventSchemas
export type ApplicationEvent = {
  [K in ApplicationEventType]: { type: K; data: Static<(typeof applicationEventSchemas)[K]> }
}[ApplicationEventType]

export const applicationCategory = 'app'

export function applicationStream(id: string): string {
  return streamName(applicationCategory, id)
}
