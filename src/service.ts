import { join } from 'node:path'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { OwnerTokenValidator, type TokenCheck } from './auth/owner-tokens.js'
import { CommandHandler } from './commands/handler.js'
import { instanceDecider } from './domain/instance.js'
import { defaultVmChoices, lambdaVmChoices } from './domain/instance-spec.js'
import { SqliteEventLog } from './eventlog/sqlite.js'
import { buildApp } from './http/app.js'
import type { Services } from './http/services.js'
import { authenticate } from './okeanos/identity.js'
import { Okeanos } from './okeanos/index.js'
import { SecretStore } from './secrets/store.js'
import { instanceQueries, instancesProjection } from '../projections/instances.js'
import { openReadModelDb, ProjectionRunner } from '../projections/runner.js'

// The composition root: the event log, the read models that follow it, the secret store, and the HTTP API.

export interface ServiceOptions {
  /** Where events.db, read.db and secrets.db live; undefined keeps everything in memory (tests). */
  dataDir: string | undefined
  /** The ~okeanos identity (Astakos) URL, e.g. https://accounts.okeanos.grnet.gr/identity/v2.0 */
  identityUrl: string
  /** 32 bytes that encrypt the secret store. */
  secretKey: Buffer
  authCacheTtlMs?: number
  authNegativeCacheTtlMs?: number
  okeanosTimeoutMs?: number
  bodyLimit?: number
  synchronous?: 'full' | 'normal'
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
  /** Overrides the ~okeanos token check (tests of the cache). */
  tokenCheck?: TokenCheck
}

export interface Service {
  app: FastifyInstance
  log: SqliteEventLog
  runner: ProjectionRunner
  secrets: SecretStore
  close(): Promise<void>
}

export async function createService(options: ServiceOptions): Promise<Service> {
  const file = (name: string) => (options.dataDir === undefined ? ':memory:' : join(options.dataDir, name))
  const log = new SqliteEventLog({ path: file('events.db'), synchronous: options.synchronous ?? 'full' })
  const readDb = openReadModelDb(file('read.db'))
  const runner = new ProjectionRunner(readDb, [instancesProjection])
  const following = runner.follow(log)
  const secrets = new SecretStore(file('secrets.db'), options.secretKey)
  const timeoutMs = options.okeanosTimeoutMs ?? 10_000

  const tokenCheck: TokenCheck =
    options.tokenCheck ??
    (async (token) => {
      try {
        const { user } = await authenticate(options.identityUrl, token, { timeoutMs })
        return { id: user.id, name: user.name }
      } catch (error) {
        if ((error as { status?: number }).status === 401) return null
        throw error
      }
    })
  const ownerTokens = new OwnerTokenValidator(tokenCheck, {
    validTtlMs: options.authCacheTtlMs ?? 60_000,
    invalidTtlMs: options.authNegativeCacheTtlMs ?? 10_000,
  })

  const services: Services = {
    log,
    instances: new CommandHandler(log, instanceDecider),
    instanceQueries: instanceQueries(readDb),
    okeanos: (token) => Okeanos.connect(options.identityUrl, token, { timeoutMs }),
    async flavorChoices(okeanos) {
      const flavors = (await okeanos.compute.listFlavors()).filter((flavor) => flavor['SNF:allow_create'])
      const sorted = (values: number[]) => [...new Set(values)].sort((a, b) => a - b)
      return {
        vcpus: sorted(flavors.map((f) => f.vcpus)),
        ram: sorted(flavors.map((f) => f.ram)),
        disk: sorted(flavors.map((f) => f.disk)),
      }
    },
    async vmChoices(token) {
      try {
        return lambdaVmChoices(await services.flavorChoices(await services.okeanos(token)))
      } catch {
        return defaultVmChoices
      }
    },
  }
  const app = await buildApp({
    services,
    ownerTokens,
    secrets,
    ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
  })

  return {
    app,
    log,
    runner,
    secrets,
    async close() {
      await app.close()
      following.close()
      await log.close()
      readDb.close()
      secrets.close()
    },
  }
}
