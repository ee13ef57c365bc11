import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { available, isOkeanosError, type Okeanos, type QuotaResource, type QuotaValue } from '../../okeanos/index.js'
import { HttpError, success } from '../../platform/http/envelope.js'
import { authErrors, successReply } from '../../platform/http/schemas.js'

// What ~okeanos offers the user, read live through the client (docs/original.md "What ~okeanos offers the user").

/** ~okeanos refusing the user's token is the user's 401; any other failure is ~okeanos's, a 502. */
async function withOkeanos<T>(connect: OkeanosConnect, request: FastifyRequest, use: (okeanos: Okeanos) => Promise<T>): Promise<T> {
  try {
    return await use(await connect(request.token!))
  } catch (error) {
    if (isOkeanosError(error) && error.status === 401)
      throw new HttpError(401, 'Unauthorized. Request failed because user provided an invalid token.')
    if (isOkeanosError(error)) throw new HttpError(502, `~okeanos: ${error.okeanosMessage}`)
    throw error
  }
}

const projectResources: Record<string, QuotaResource> = {
  cpu: 'cyclades.cpu',
  disk: 'cyclades.disk',
  floating_ip: 'cyclades.floating_ip',
  private_network: 'cyclades.network.private',
  ram: 'cyclades.ram',
  vm: 'cyclades.vm',
  pithos_space: 'pithos.diskspace',
}

const okeanosTags = ['~okeanos']

/** A ~okeanos client acting with the user's token. */
export type OkeanosConnect = (token: string) => Promise<Okeanos>

export async function okeanosInfoRoutes(app: FastifyInstance, { okeanos }: { okeanos: OkeanosConnect }) {
  const owner = { onRequest: app.requireOwner }

  const keysDocs = {
    summary: 'The user\'s SSH public keys on ~okeanos',
    tags: okeanosTags,
    response: {
      200: successReply(
        'Public keys uploaded to ~okeanos',
        Type.Array(Type.Object({ uri: Type.String(), id: Type.String(), name: Type.String(), content: Type.String(), fingerprint: Type.String() })),
      ),
      ...authErrors(502),
    },
  }
  app.get('/api/user-public-keys', { ...owner, config: { docs: keysDocs } }, async (request) =>
    success(200, 'Public keys uploaded to ~okeanos', await withOkeanos(okeanos, request, (ok) => ok.compute.listUserKeys())),
  )

  const projectsDocs = {
    summary: 'The user\'s active ~okeanos projects with the quota still available',
    tags: okeanosTags,
    response: {
      200: successReply(
        '~okeanos projects',
        Type.Array(
          Type.Object({
            id: Type.String(),
            name: Type.String(),
            ...Object.fromEntries(Object.keys(projectResources).map((field) => [field, Type.Number()])),
          }),
        ),
      ),
      ...authErrors(502),
    },
  }
  app.get('/api/user-okeanos-projects', { ...owner, config: { docs: projectsDocs } }, async (request) => {
    const data = await withOkeanos(okeanos, request, async (ok) => {
      const [projects, quotas] = await Promise.all([ok.account.activeProjects(), ok.account.getQuotas()])
      return projects.map((project) => {
        const quota: Partial<Record<QuotaResource, QuotaValue>> = quotas[project.id] ?? {}
        const free = Object.fromEntries(
          Object.entries(projectResources).map(([field, resource]) => {
            const value = quota[resource]
            return [field, value ? available(value) : 0]
          }),
        )
        return { id: project.id, name: project.name, ...free }
      })
    })
    return success(200, '~okeanos projects', data)
  })

  const choicesDocs = {
    summary: 'The vCPU, RAM and disk sizes the creatable flavors allow',
    tags: okeanosTags,
    response: {
      200: successReply(
        'Allowed values of parameters for creating a Lambda Instance',
        Type.Array(Type.Object({ vcpus: Type.Array(Type.Integer()), ram: Type.Array(Type.Integer()), disk: Type.Array(Type.Integer()) })),
      ),
      ...authErrors(502),
    },
  }
  app.get('/api/vm-parameter-values', { ...owner, config: { docs: choicesDocs } }, async (request) =>
    success(200, 'Allowed values of parameters for creating a Lambda Instance', [
      await withOkeanos(okeanos, request, (ok) => ok.compute.flavorSizes()),
    ]),
  )
}
