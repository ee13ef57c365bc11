import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { validateInstanceSpec } from '../spec.js'
import { actorOf, ownerOf } from '../../platform/http/auth.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { instanceStream } from '../events.js'
import { instanceActionCommands, refuseUnknownAction, type InstanceAction } from '../decider.js'
import { runInstanceCommand } from './run-command.js'
import { accepted, authErrors, commandErrors, CreatedData } from '../../platform/http/schemas.js'
import { CreateBody, InstanceIdParams, instanceTags } from './schemas.js'
import type { InstanceServices } from '../services.js'

// The user's lambda-instance API, hyphen spelling (docs/api.md "Lambda instances"; docs/original.md "Creating an instance", "Start and stop", "Destroy"): its
// commands here, its queries in instance-queries.ts.

export async function instanceRoutes(app: FastifyInstance, { services }: { services: InstanceServices }) {
  const owner = { onRequest: app.requireOwner }
  // Every command that starts a job keeps the caller's token: the reactors act on ~okeanos with it.

  const authenticateDocs = {
    summary: 'Check the token and return the user\'s name',
    tags: ['authentication'],
    response: {
      200: Type.Object({ status: Type.Integer(), result: Type.String(), data: Type.Object({ name: Type.String() }) }),
      ...authErrors(),
    },
  }
  app.get('/api/authenticate', { ...owner, config: { docs: authenticateDocs } }, async (request) => ({
    status: 200,
    result: 'Success',
    data: { name: ownerOf(request).name },
  }))

  const createDocs = {
    summary: 'Create a lambda instance',
    description: 'Appends `InstanceRequested`; the cluster is then built on ~okeanos. Quota shortfalls end in CLUSTER_FAILED.',
    tags: instanceTags,
    body: CreateBody,
    response: { 202: accepted('Your request to create a new lambda instance has been accepted', CreatedData), ...commandErrors() },
  }
  app.post('/api/lambda-instance', { ...owner, config: { docs: createDocs } }, async (request, reply) =>
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

  const actionDocs = {
    summary: 'Start or stop a lambda instance',
    description: 'Start from STOPPED or FAILED; stop from STARTED or FAILED, as the original.',
    tags: instanceTags,
    params: InstanceIdParams,
    body: Type.Object({ action: Type.String({ enum: Object.keys(instanceActionCommands) }) }),
    response: { 202: accepted('Your request has been accepted'), ...commandErrors(404, 409) },
  }
  app.post('/api/lambda-instances/:id', { ...owner, config: { docs: actionDocs } }, async (request, reply) =>
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

  const destroyDocs = {
    summary: 'Destroy a lambda instance',
    description: 'Appends `InstanceDestroyRequested`; 409 when already destroyed.',
    tags: instanceTags,
    params: InstanceIdParams,
    response: {
      202: accepted('Your request to destroy the specified lambda instance has been accepted'),
      ...commandErrors(404, 409),
    },
  }
  app.delete('/api/lambda-instances/:id', { ...owner, config: { docs: destroyDocs } }, async (request, reply) =>
    runInstanceCommand(services, request, reply, () => ({
      statusCode: 202,
      body: success(202, 'Your request to destroy the specified lambda instance has been accepted'),
      command: { type: 'DestroyInstance', id: instanceIdParam(request), actor: actorOf(request) },
      keepOwnerToken: true,
    })),
  )
}
