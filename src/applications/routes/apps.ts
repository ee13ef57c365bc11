import { randomUUID } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyMultipart from '@fastify/multipart'
import { Type } from 'typebox'
import { isValidJarName } from '../jar-name.js'
import { applicationStream } from '../events.js'
import { appRefOf } from '../app-ref.js'
import { applicationMessages } from '../decider.js'
import {
  InstanceIdParams,
  instanceMessages,
  runInstanceCommand,
  type AppRef,
  type DeploymentCommand,
  type InstanceCommand,
} from '../../instances/index.js'
import { HttpError, isUuid, success } from '../../platform/http/envelope.js'
import { idempotent } from '../../platform/http/idempotency.js'
import { pageRequest, paged } from '../../platform/http/pagination.js'
import { actorOf, ownerOf } from '../../platform/http/auth.js'
import { eventMetadata } from '../../platform/http/event-metadata.js'
import type { ApplicationServices } from '../services.js'
import {
  accepted,
  authErrors,
  commandErrors,
  CountData,
  CreatedData,
  PageQuery,
  paginated,
  successReply,
} from '../../platform/http/schemas.js'
import { receiveUpload } from './upload.js'
import { AppDetails, AppIdParams, AppItem, applicationTags, OnInstance, UploadBody } from './schemas.js'

// Applications, hyphen spelling (docs/api.md "Applications"; docs/original.md "Applications"): jars uploaded to Pithos, then
// deployed, started and stopped on the owner's running instances.

export const appMessages = {
  noFile: 'No file uploaded.',
  emptyFile: 'The uploaded file is empty.',
  notJar: 'The uploaded file is not a jar (a zip archive).',
  badType: 'Wrong or no application type specified (correct choices: batch/streaming).',
  noProject: 'No ~okeanos project name provided.',
  notSubscribed: (project: string) => `Can't use ~okeanos ${project} project. You are not subscribed in it.`,
  nameTaken: 'The specified file name already exists.',
  badName: 'The file name may use only letters, digits and . _ + - (it becomes a path on the master).',
  noInstanceId: 'No lambda instance id provided.',
} as const

function appIdParam(request: FastifyRequest): string {
  const { id } = request.params as { id: string }
  if (!isUuid(id)) throw new HttpError(404, applicationMessages.notFound)
  return id.toLowerCase()
}

/** Uploading: a multipart body streamed to disk, in a context of its own (the other routes take small forms). */
export async function appUploadRoutes(app: FastifyInstance, { services }: { services: ApplicationServices }) {
  await app.register(fastifyMultipart, { limits: { fileSize: services.uploadLimit, files: 1, fields: 20, fieldSize: 64 * 1024 } })
  const owner = { onRequest: app.requireOwner }

  const uploadDocs = {
    summary: 'Upload an application (a jar) to Pithos',
    description: 'multipart/form-data: `file`, `type` (batch|streaming), `project_name`, `description`, `execution_environment_name`.',
    tags: applicationTags,
    body: UploadBody,
    consumes: ['multipart/form-data'],
    response: {
      202: accepted('Your request to upload the specified application has been accepted', CreatedData),
      ...commandErrors(408, 409, 502),
    },
  }
  app.post('/api/apps', { ...owner, config: { docs: uploadDocs } }, async (request, reply) => {
    if (!request.isMultipart()) throw new HttpError(415, 'Send the application as multipart/form-data with a `file` field.')
    const user = ownerOf(request)
    const upload = await receiveUpload(request, services.uploadsDir, { idleTimeoutMs: services.uploadIdleTimeoutMs })
    try {
      const { fields, file } = upload
      if (!file) throw new HttpError(400, appMessages.noFile)
      if (!isValidJarName(file.filename)) throw new HttpError(400, appMessages.badName)
      if (file.size === 0) throw new HttpError(400, appMessages.emptyFile)
      if (!file.head.equals(Buffer.from('PK\x03\x04', 'latin1'))) throw new HttpError(400, appMessages.notJar)
      const type = (fields.type ?? '').toLowerCase()
      if (type !== 'batch' && type !== 'streaming') throw new HttpError(400, appMessages.badType)
      const projectName = fields.project_name?.trim()
      if (!projectName) throw new HttpError(400, appMessages.noProject)

      // What identifies this upload for Idempotency-Key: its fields and the file's checksum. A retry is
      // answered from here on, before the rules below that its first attempt would now break.
      request.body = { ...fields, file: { name: file.filename, size: file.size, sha256: file.sha256 } }
      return await idempotent(services.log, request, reply, async () => {
        const projects = await services.activeProjects(request.token!)
        const project = projects.find((p) => p.name === projectName)
        if (!project) throw new HttpError(409, appMessages.notSubscribed(projectName))
        if (services.applicationQueries.nameTaken(user.id, project.id, file.filename)) throw new HttpError(400, appMessages.nameTaken)
        const id = randomUUID()
        return {
          statusCode: 202,
          body: success(202, 'Your request to upload the specified application has been accepted', [
            { id, links: { self: request.linkTo(`/api/apps/${id}`) } },
          ]),
          execute: async (idempotency) => {
            const kept = join(services.uploadsDir, `${id}.jar`)
            await rename(file.path, kept)
            const { result } = await services.applications
              .handle(
                applicationStream(id),
                {
                  type: 'RequestUpload',
                  id,
                  owner: user.id,
                  name: file.filename,
                  projectId: project.id,
                  projectName,
                  description: fields.description ?? '',
                  appType: type === 'batch' ? 'BATCH' : 'STREAMING',
                  executionEnvironmentName: fields.execution_environment_name ?? '',
                  size: file.size,
                },
                { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
              )
              .catch(async (error: unknown) => {
                await rm(kept, { force: true })
                throw error
              })
            await services.rememberOwnerToken(id, request.token!)
            return result.position
          },
        }
      })
    } finally {
      await upload.discard()
    }
  })
}

export async function appRoutes(app: FastifyInstance, { services }: { services: ApplicationServices }) {
  const { applicationQueries: apps, instanceQueries } = services
  const owner = { onRequest: app.requireOwner }

  const listDocs = {
    summary: 'The user\'s applications',
    tags: applicationTags,
    querystring: PageQuery,
    response: { 200: paginated('Applications', AppItem), ...authErrors(400) },
  }
  app.get('/api/apps', { ...owner, config: { docs: listDocs, readsReadModels: true } }, async (request) => {
    const page = pageRequest(request.query)
    return paged(request, page, apps.list(ownerOf(request).id, page.limit, page.offset), { code: 200, short_description: 'Applications' })
  })

  const countDocs = {
    summary: 'How many applications the user has',
    tags: applicationTags,
    response: { 200: successReply('Number of Applications', CountData), ...authErrors() },
  }
  app.get('/api/apps/count', { ...owner, config: { docs: countDocs, readsReadModels: true } }, async (request) =>
    success(200, 'Number of Applications', [{ count: apps.count(ownerOf(request).id) }]),
  )

  const detailsDocs = {
    summary: 'An application\'s details, with the instances it is deployed on',
    tags: applicationTags,
    params: AppIdParams,
    response: { 200: successReply('Application details', Type.Array(AppDetails)), ...authErrors(404) },
  }
  app.get('/api/apps/:id', { ...owner, config: { docs: detailsDocs, readsReadModels: true } }, async (request) => {
    const details = apps.details(ownerOf(request).id, appIdParam(request))
    if (!details) throw new HttpError(404, applicationMessages.notFound)
    return success(200, 'Application details', [details])
  })

  const deleteDocs = {
    summary: 'Delete an application',
    description: '409 while it runs on an instance.',
    tags: applicationTags,
    params: AppIdParams,
    response: { 202: accepted('Your request to delete the specified application has been accepted'), ...commandErrors(404, 409) },
  }
  app.delete('/api/apps/:id', { ...owner, config: { docs: deleteDocs } }, async (request, reply) => {
    const id = appIdParam(request)
    const user = ownerOf(request)
    return idempotent(services.log, request, reply, () => {
      const runningOn = (apps.find(user.id, id)?.instances ?? []).filter((i) => i.started === 1).map((i) => i.name)
      return {
        statusCode: 202,
        body: success(202, 'Your request to delete the specified application has been accepted'),
        execute: async (idempotency) => {
          const { result } = await services.applications.handle(
            applicationStream(id),
            { type: 'RequestDelete', id, owner: user.id, runningOn },
            { metadata: eventMetadata(request), ...(idempotency && { idempotency }) },
          )
          // Only once accepted: a refused delete (another owner's app) must not replace the owner's token.
          await services.rememberOwnerToken(id, request.token!)
          return result.position
        },
      }
    })
  })

  const deployedDocs = {
    summary: 'The applications deployed on a lambda instance',
    description: 'The id in the path is the lambda instance\'s.',
    tags: applicationTags,
    params: InstanceIdParams,
    querystring: PageQuery,
    response: { 200: paginated('Applications', AppItem), ...authErrors(400, 404) },
  }
  app.get('/api/apps/:id/list-deployed', { ...owner, config: { docs: deployedDocs, readsReadModels: true } }, async (request) => {
    const { id } = request.params as { id: string }
    const user = ownerOf(request)
    if (!isUuid(id) || !instanceQueries.details(user.id, id.toLowerCase())) throw new HttpError(404, instanceMessages.notFound)
    const page = pageRequest(request.query)
    return paged(request, page, apps.onInstance(user.id, id.toLowerCase(), page.limit, page.offset), { code: 200, short_description: 'Applications' })
  })

  /** deploy, withdraw, start and stop: the checks of docs/original.md "Applications", in their order, decided by the instance. */
  const onInstance = (
    action: 'deploy' | 'withdraw' | 'start' | 'stop',
    type: DeploymentCommand['type'],
    { summary, description }: { summary: string; description: string },
  ) => {
    const docs = {
      summary,
      description,
      tags: applicationTags,
      params: AppIdParams,
      body: OnInstance,
      response: { 202: accepted(`Your request to ${action} the specified application has been accepted`), ...commandErrors(404, 409) },
    }
    app.post(`/api/apps/:id/${action}`, { ...owner, config: { docs } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = (request.body as { lambda_instance_id?: unknown } | undefined)?.lambda_instance_id
      if (typeof raw !== 'string' || raw.trim() === '') throw new HttpError(400, appMessages.noInstanceId)
      const instanceId = raw.trim().toLowerCase()
      if (!isUuid(instanceId)) throw new HttpError(404, instanceMessages.notFound)
      const { id } = request.params as { id: string }
      const user = ownerOf(request)
      return runInstanceCommand(services, request, reply, async () => {
        // From the application's own stream, not the read model's row: only the stream says whether it is an
        // uploaded jar, and a usage record must never reach a deployment (its name would become a Pithos path).
        const appId = isUuid(id) ? id.toLowerCase() : undefined
        const appRef = appId ? appRefOf(appId, (await services.applications.load(applicationStream(appId))).state, user.id) : null
        return {
          statusCode: 202,
          body: success(202, `Your request to ${action} the specified application has been accepted`),
          command: { type, id: instanceId, actor: actorOf(request), app: appRef } as InstanceCommand,
          keepOwnerToken: true,
        }
      })
    })
  }
  onInstance('deploy', 'DeployApp', {
    summary: 'Deploy an application on a lambda instance',
    description: 'Copies the jar onto the instance\'s master.',
  })
  onInstance('withdraw', 'WithdrawApp', {
    summary: 'Withdraw an application on a lambda instance',
    description: 'Removes the jar from the instance.',
  })
  onInstance('start', 'StartApp', {
    summary: 'Start an application on a lambda instance',
    description: 'One batch and one streaming job at a time per instance, as the original.',
  })
  onInstance('stop', 'StopApp', {
    summary: 'Stop an application on a lambda instance',
    description: 'Appends `AppStopRequested`.',
  })
}
