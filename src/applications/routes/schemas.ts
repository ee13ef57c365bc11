import { Type } from 'typebox'
import { StatusView } from '../../platform/http/schemas.js'

// Schemas of the application routes' documentation. Documentation only: these routes validate by hand, with
// the original's messages, which a validating schema would replace with its own.

export const applicationTags = ['applications']

export const AppIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The application id (a malformed one answers 404).' }),
})

export const UploadBody = Type.Object({
  file: Type.String({ format: 'binary' }),
  type: Type.String({ enum: ['batch', 'streaming'] }),
  project_name: Type.String(),
  description: Type.Optional(Type.String()),
  execution_environment_name: Type.Optional(Type.String()),
})

/** The body of deploy, withdraw, start and stop. */
export const OnInstance = Type.Object({ lambda_instance_id: Type.String({ format: 'uuid' }) })

export const AppItem = Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), status: StatusView, deployed: Type.Boolean() })

export const AppDetails = Type.Object({
  id: Type.String(),
  name: Type.String(),
  path: Type.String({ description: 'The Pithos container.' }),
  type: Type.String(),
  description: Type.String(),
  execution_environment_name: Type.String(),
  status: StatusView,
  lambda_instances: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), started: Type.Boolean(), status: StatusView })),
})

/** An application record as the status family lists it. */
export const RawApp = Type.Object({
  uuid: Type.String(),
  description: Type.String(),
  name: Type.String(),
  status: Type.String(),
  failure_message: Type.String(),
})
