import type { FastifyReply, FastifyRequest } from 'fastify'
import { instanceStream } from '../events.js'
import type { InstanceCommand } from '../decider.js'
import { idempotent } from '../../platform/http/idempotency.js'
import { eventMetadata } from '../../platform/http/event-metadata.js'
import type { InstanceCommandServices } from '../services.js'

export interface InstanceRequest {
  statusCode: number
  body: unknown
  command: InstanceCommand
  /** The command starts a job that acts on ~okeanos for the owner: keep the caller's token for it. */
  keepOwnerToken?: boolean
}

/** Runs an instance command for a request and answers `body` with `statusCode` once its events are committed.
 *  `prepare` validates and builds the command; it is not called for a retry that replays its first answer. */
export function runInstanceCommand(
  services: InstanceCommandServices,
  request: FastifyRequest,
  reply: FastifyReply,
  prepare: () => InstanceRequest | Promise<InstanceRequest>,
) {
  return idempotent(services.log, request, reply, async () => {
    const { statusCode, body, command, keepOwnerToken } = await prepare()
    return {
      statusCode,
      body,
      execute: async (idempotency) => {
        const { result } = await services.instances.handle(instanceStream(command.id), command, {
          metadata: eventMetadata(request),
          ...(idempotency && { idempotency }),
        })
        // Only now: a refused command (another owner's id, a wrong state) must leave the secret store as it was.
        if (keepOwnerToken) await services.rememberOwnerToken(command.id, request.token!)
        return result.position
      },
    }
  })
}
