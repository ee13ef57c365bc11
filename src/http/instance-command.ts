import type { FastifyReply, FastifyRequest } from 'fastify'
import { instanceStream } from '../domain/events.js'
import type { InstanceCommand } from '../domain/instance.js'
import { idempotent } from './idempotency.js'
import { eventMetadata, type Services } from './services.js'

/** Runs an instance command for a request and answers `body` with `statusCode` once its events are committed. */
export function runInstanceCommand(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  answer: { statusCode: number; body: unknown },
  command: InstanceCommand,
) {
  return idempotent(services.log, request, reply, {
    ...answer,
    execute: async (idempotency) => {
      await services.instances.handle(instanceStream(command.id), command, {
        metadata: eventMetadata(request),
        ...(idempotency && { idempotency }),
      })
    },
  })
}
