import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { validateInstanceSpec } from '../spec.js'
import { actorOf, ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { instanceStream } from '../events.js'
import { instanceActionCommands, refuseUnknownAction, type InstanceAction } from '../decider.js'
import { runInstanceCommand } from './run-command.js'
import type { InstanceServices } from '../services.js'

// The user's lambda-instance API, hyphen spelling (API.md "Lambda instances"; upstream §2.5–§2.10): its
// commands here, its queries in instance-queries.ts.

export async function instanceRoutes(app: FastifyInstance, { services }: { services: InstanceServices }) {
  const owner = { onRequest: app.requireOwner }
  // Every command that starts a job keeps the caller's token: the reactors act on ~okeanos with it.

  app.get('/api/authenticate', owner, async (request) => ({
    status: 200,
    result: 'Success',
    data: { name: ownerOf(request).name },
  }))

  app.post('/api/lambda-instance', owner, async (request, reply) =>
    runInstanceCommand(services, request, reply, async () => {
      const user = ownerOf(request)
      const checked = validateInstanceSpec(request.body, await services.vmChoices(request.token!))
      if (!checked.ok)
        throw new HttpError(
          400,
          checked.errors.map(({ field, message }) => ({ status: 400, detail: [`${field}: ${message}`] })),
        )
      const id = randomUUID()
      return {
        statusCode: 202,
        body: success(202, 'Your request to create a new lambda instance has been accepted', [{ id, links: { self: request.linkTo(`/api/lambda-instances/${id}`) } }]),
        command: { type: 'RequestInstance', id, owner: user.id, ownerName: user.name, name: checked.spec.instance_name, spec: checked.spec },
        keepOwnerToken: true,
      }
    }),
  )

  app.post('/api/lambda-instances/:id', owner, async (request, reply) =>
    runInstanceCommand(services, request, reply, async () => {
      const id = instanceIdParam(request)
      const actor = actorOf(request)
      const action = (request.body as { action?: unknown } | undefined)?.action
      if (!Object.hasOwn(instanceActionCommands, action as PropertyKey))
        refuseUnknownAction((await services.instances.load(instanceStream(id))).state, id, actor)
      return {
        statusCode: 202,
        body: success(202, 'Your request has been accepted'),
        command: { type: instanceActionCommands[action as InstanceAction], id, actor },
        keepOwnerToken: true,
      }
    }),
  )

  app.delete('/api/lambda-instances/:id', owner, async (request, reply) =>
    runInstanceCommand(services, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to destroy the specified lambda instance has been accepted'),
      command: { type: 'DestroyInstance', id: instanceIdParam(request), actor: actorOf(request) },
      keepOwnerToken: true,
    })),
  )
}
