import type { FastifyInstance, FastifyRequest } from 'fastify'
import { available, isOkeanosError, type Okeanos, type QuotaResource, type QuotaValue } from '../../okeanos/index.js'
import { HttpError, success } from '../../platform/http/envelope.js'

// What ~okeanos offers the user, read live through the client (upstream §2.2–§2.4).

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

/** A ~okeanos client acting with the user's token. */
export type OkeanosConnect = (token: string) => Promise<Okeanos>

export async function okeanosInfoRoutes(app: FastifyInstance, { okeanos }: { okeanos: OkeanosConnect }) {
  const owner = { onRequest: app.requireOwner }

  app.get('/api/user-public-keys', owner, async (request) =>
    success(200, 'Public keys uploaded to ~okeanos', await withOkeanos(okeanos, request, (ok) => ok.compute.listUserKeys())),
  )

  app.get('/api/user-okeanos-projects', owner, async (request) => {
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

  app.get('/api/vm-parameter-values', owner, async (request) =>
    success(200, 'Allowed values of parameters for creating a Lambda Instance', [
      await withOkeanos(okeanos, request, (ok) => ok.compute.flavorSizes()),
    ]),
  )
}
