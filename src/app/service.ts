import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { OwnerTokenValidator, type TokenCheck } from '../auth/owner-tokens.js'
import { CommandHandler } from '../platform/command-handler.js'
import { applicationDecider } from '../applications/decider.js'
import { instanceDecider } from '../instances/decider.js'
import { applicationQueries } from '../../projections/applications/projection.js'
import { lambdaVmChoicesOf } from '../instances/spec.js'
import type { EventLog } from '../platform/eventlog/port.js'
import { buildApp } from './http.js'
import { buildOperationsApp } from './operations-app.js'
import { listenUrl } from '../platform/http/links.js'
import type { Operations } from '../platform/http/operations.js'
import type { ReadModelProgress } from '../platform/http/read-your-writes.js'
import type { InstanceServices } from '../instances/index.js'
import type { ApplicationServices } from '../applications/index.js'
import type { RequestTimeouts } from '../platform/http/timeouts.js'
import { authenticate } from '../okeanos/identity.js'
import { Okeanos } from '../okeanos/index.js'
import { privateDir, privateFile } from '../platform/private-files.js'
import type { SecretStore } from '../secrets/store.js'
import type { ReactorRunner } from '../platform/jobs/runner.js'
import { jobsAskedBy } from '../platform/jobs/job-set.js'
import { instanceJobAsks } from '../instances/jobs/index.js'
import { applicationJobAsks } from '../applications/jobs/index.js'
import { liveInstancesReadModel } from '../../projections/instances/live.js'
import { openReadModelDb, ProjectionRunner } from '../../projections/runner.js'
import { readModels } from './stores.js'
import { openStorage } from './storage.js'
import { reactorRunner, type ReactorOptions } from './reactors.js'
import {
  defaultRetrySchedule,
  DeliveryMetrics,
  signingSecret,
  webhookDecider,
  WebhookDispatcher,
  webhookJobAsks,
  type Resolve,
  type RetrySchedule,
  type WebhookServices,
} from '../webhooks/index.js'
import { webhookQueries } from '../../projections/webhooks/projection.js'
import { ownersFrom, statusChangeOf } from './webhook-sources.js'

// The composition root: the event log, the read models that follow it, the secret store, and the HTTP API.

export interface ServiceOptions {
  /** Where events.db, read.db and secrets.db live; undefined keeps everything in memory (tests). */
  dataDir: string | undefined
  /** The PostgreSQL the nodes share (events, idempotency records, secrets); undefined: the SQLite files. The read
   *  models stay in this node's read.db either way. */
  databaseUrl?: string
  /** The ~okeanos identity (Astakos) URL, e.g. https://accounts.okeanos.grnet.gr/identity/v2.0 */
  identityUrl: string
  /** 32 bytes that encrypt the secret store. */
  secretKey: Buffer
  /** false: no public API, only /healthz, /readyz and /metrics (a reactor process). */
  publicApi?: boolean
  authCacheTtlMs?: number
  authNegativeCacheTtlMs?: number
  okeanosTimeoutMs?: number
  bodyLimit?: number
  /** Largest application upload, in bytes (default 256 MB, as the original). */
  uploadLimit?: number
  /** How long an upload may send nothing before it is abandoned with a 408, in ms (default 30 s). */
  uploadIdleTimeoutMs?: number
  synchronous?: 'full' | 'normal'
  logger?: FastifyServerOptions['logger']
  trustProxy?: boolean
  /** Where clients reach the API (the start of the links in replies); default: the address it listens on. */
  publicUrl?: string
  /** Overrides the ~okeanos token check (tests of the cache). */
  tokenCheck?: TokenCheck
  /** Time between the heartbeats of the Server-Sent Events streams. */
  sseHeartbeatMs?: number
  /** Server-Sent Events streams open at once, of one owner and in all (default 20 and 1000). */
  sseMaxStreamsPerOwner?: number
  sseMaxStreams?: number
  /** How long a client may take to send its request's headers, a command's body, an upload; how long an idle
   *  connection is kept (defaults in src/platform/http/timeouts.ts). */
  timeouts?: Partial<RequestTimeouts>
  /** Node.js process metrics on /metrics (on by default). */
  processMetrics?: boolean
  /** How long a GET waits for the read models to be as recent as it asks (default 2 s; read-your-writes.ts). */
  readWaitMs?: number
  /** How the reactors act on ~okeanos; they run only once `startReactors` is called. */
  reactors?: ReactorOptions
  webhooks?: WebhookOptions
}

export interface WebhookOptions {
  /** Loopback, private and link-local destinations allowed (LOD_WEBHOOKS_ALLOW_PRIVATE; development and tests). */
  allowPrivate?: boolean
  /** When failing deliveries are retried (src/webhooks/retries.ts). */
  schedule?: Partial<RetrySchedule>
  /** How long a delivery attempt may take (default 10 s). */
  timeoutMs?: number
  /** How a destination's host is resolved at creation (tests). */
  resolve?: Resolve
  /** How often the dispatcher looks at the log without being told of a commit (default 1 s). */
  pollMs?: number
}

export interface Service {
  app: FastifyInstance
  log: EventLog
  runner: ProjectionRunner
  secrets: SecretStore
  /** The jobs on ~okeanos and the webhook deliveries, once started. */
  reactors: ReactorRunner | undefined
  /** What asks the webhooks for deliveries, once the reactors are started. */
  dispatcher: WebhookDispatcher | undefined
  /** Starts the reactors; `publicUrl` is where this service's API is reached (service VMs report there). */
  startReactors(publicUrl: string): Promise<void>
  close(): Promise<void>
}

export async function createService(options: ServiceOptions): Promise<Service> {
  if (options.dataDir !== undefined) privateDir(options.dataDir)
  const file = (name: string) => (options.dataDir === undefined ? ':memory:' : privateFile(join(options.dataDir, name)))
  let appLog: FastifyInstance['log'] | undefined
  const complain = (error: unknown, message: string) => (appLog ? appLog.error({ err: error }, message) : console.error(message, error))
  // The log queues the jobs that events ask for with them, whether or not this process runs the reactors.
  const jobsAsked = jobsAskedBy([instanceJobAsks, applicationJobAsks, webhookJobAsks])
  const { log, secrets, jobQueue } = await openStorage({
    dataDir: options.dataDir,
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
    secretKey: options.secretKey,
    synchronous: options.synchronous ?? 'full',
    jobs: jobsAsked,
    onConnectionError: (error) => complain(error, 'PostgreSQL connection failed; trying again'),
  })
  const readDb = openReadModelDb(file('read.db'))
  // 4 MB of pages per connection instead of better-sqlite3's 16: with a million events the default fills up and
  // takes a service past 200 MB; what is read most is answered from rendered replies (reply-cache.ts) and the
  // rest from the operating system's page cache.
  readDb.pragma('cache_size = -4096')
  // The live instances read model keeps rendered replies, which its projection and the log's commits drop.
  const instances = liveInstancesReadModel(readDb)
  const live = readModels.map((model) => (model.name === instances.projection.name ? instances.projection : model))
  // After each commit, in subscription order: the read models apply it (read-your-writes), then the replies it
  // changed are dropped; the reactors and the SSE streams subscribe later, when they start.
  const runner = new ProjectionRunner(readDb, live, {
    onError: (error) => complain(error, 'read model batch failed; catching up from the log'),
  })
  // Caught up before the first request: a subscription to the PostgreSQL log catches up in the background.
  for (let batch; (batch = await log.readAll(runner.position(), 10_000)).length > 0; ) runner.apply(batch)
  const following = runner.follow(log)
  const invalidating = instances.replies.follow(log, runner.position())
  // Uploads wait on disk (never in memory) until the reactor has stored them on Pithos.
  const uploadsDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'lod-uploads-')) : join(options.dataDir, 'uploads')
  privateDir(uploadsDir)
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

  const connect = (token: string) => Okeanos.connect(options.identityUrl, token, { timeoutMs })
  const instanceServices: InstanceServices = {
    log,
    instances: new CommandHandler(log, instanceDecider),
    instanceQueries: instances.queries(),
    rememberOwnerToken: (subjectId, token) => secrets.replace(subjectId, 'owner-token', token),
    vmChoices: (token) => lambdaVmChoicesOf(async () => (await connect(token)).compute.flavorSizes()),
  }
  const applicationServices: ApplicationServices = {
    log,
    instances: instanceServices.instances,
    rememberOwnerToken: instanceServices.rememberOwnerToken,
    instanceQueries: instanceServices.instanceQueries,
    applications: new CommandHandler(log, applicationDecider),
    applicationQueries: applicationQueries(readDb),
    activeProjects: async (token) => (await connect(token)).account.activeProjects(),
    uploadsDir,
    uploadLimit: options.uploadLimit ?? 256 * 1024 * 1024,
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 30_000,
  }
  const webhookOptions = options.webhooks ?? {}
  const webhookServices: WebhookServices = {
    log,
    webhooks: new CommandHandler(log, webhookDecider),
    webhookQueries: webhookQueries(readDb),
    signingSecret: (id, generation) => signingSecret(secrets, id, generation),
    allowPrivate: webhookOptions.allowPrivate ?? false,
    ...(webhookOptions.resolve && { resolve: webhookOptions.resolve }),
  }
  const deliveryMetrics = new DeliveryMetrics()
  const operations: Operations = {
    // The head as this node has heard of it: what must answer at once (/readyz, /metrics) asks the log nothing.
    headPosition: () => runner.heardPosition(),
    readModels: () => runner.positions(),
    readModelsHealthy: () => runner.healthy(),
    reactorJobs: () => service.reactors?.jobCounts(),
    moreMetrics: () => deliveryMetrics.text(),
  }
  const readModelProgress: ReadModelProgress = {
    // On SQLite this process made, or heard of as it polled, every commit its clients were told of; on PostgreSQL
    // other nodes commit too, and the log is asked.
    knownHead: options.databaseUrl === undefined ? () => runner.heardPosition() : () => log.headPosition(),
    logHead: () => log.headPosition(),
    appliedPosition: () => runner.appliedPosition(),
    waitFor: (position, timeoutMs) => runner.waitFor(position, timeoutMs),
  }
  const served = {
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.processMetrics !== undefined && { processMetrics: options.processMetrics }),
  }
  const app: FastifyInstance =
    options.publicApi === false
      ? await buildOperationsApp({ operations, ...served })
      : await buildApp({
          instanceServices,
          applicationServices,
          webhookServices,
          okeanos: connect,
          ownerTokens,
          secrets,
          operations,
          ...served,
          ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
          ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
          ...(options.sseHeartbeatMs !== undefined && { sseHeartbeatMs: options.sseHeartbeatMs }),
          ...(options.sseMaxStreamsPerOwner !== undefined && { sseMaxStreamsPerOwner: options.sseMaxStreamsPerOwner }),
          ...(options.sseMaxStreams !== undefined && { sseMaxStreams: options.sseMaxStreams }),
          ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
          ...(options.readWaitMs !== undefined && { readWaitMs: options.readWaitMs }),
          readModelProgress,
          publicUrl: (): string => {
            if (options.publicUrl) return options.publicUrl
            const address = app.server.address()
            // Before it listens (fastify.inject in tests) the service has no address of its own.
            return address && typeof address === 'object' ? listenUrl(address) : 'http://localhost'
          },
        })
  appLog = app.log

  const service: Service = {
    app,
    log,
    runner,
    secrets,
    reactors: undefined,
    dispatcher: undefined,
    async startReactors(publicUrl) {
      if (service.reactors) return
      const deps = {
        dataDir: options.dataDir,
        instanceServices,
        applicationServices,
        webhookServices,
        delivery: {
          schedule: { ...defaultRetrySchedule, ...webhookOptions.schedule },
          timeoutMs: webhookOptions.timeoutMs ?? 10_000,
          allowPrivate: webhookServices.allowPrivate,
          metrics: deliveryMetrics,
        },
        secrets,
        queue: jobQueue,
        asks: jobsAsked,
        identityUrl: options.identityUrl,
        okeanosTimeoutMs: timeoutMs,
        log: app.log,
      }
      service.reactors = reactorRunner(deps, options.reactors ?? {}, publicUrl)
      await service.reactors.start(log)
      service.dispatcher = new WebhookDispatcher({
        log,
        webhooks: webhookServices.webhooks,
        statusChangeOf,
        ownerOf: ownersFrom(instanceServices, applicationServices),
        liveWebhooks: () => webhookServices.webhookQueries.live(),
        readModelPosition: () => runner.position(),
        ...(webhookOptions.pollMs !== undefined && { pollMs: webhookOptions.pollMs }),
        onError: (error) => app.log.warn({ err: error }, 'webhook dispatcher failed; trying again'),
      })
      await service.dispatcher.start()
    },
    async close() {
      await service.dispatcher?.close()
      await service.reactors?.close()
      await app.close()
      following.close()
      invalidating.close()
      await log.close()
      readDb.close()
      await secrets.close()
      if (options.dataDir === undefined) rmSync(uploadsDir, { recursive: true, force: true })
    },
  }
  return service
}
