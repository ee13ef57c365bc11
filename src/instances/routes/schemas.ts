import { Type } from 'typebox'
import { instanceStatusCodes } from '../statuses.js'

// Schemas of the instance routes' documentation.

export const InstanceIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The lambda instance id (a malformed one answers 404).' }),
})

export const StatusCodeString = Type.String({ enum: instanceStatusCodes, description: 'A lambda-instance status code ("0" STARTED … "23" FLUME_FAILED).' })
