import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { OwnerTokenValidator, type TokenCheck } from '../auth/owner-tokens.js'
import { CommandHandler } from '../platform/command-handler.js'
import { applicationDecider } from '../applications/decider.js'
import { instanceDecider } from '../instances/decider.js'
import { applicationQueries } from '../../projections/applications/projection.js'
import { lambdaVmChoicesOf } from '../instances/spec.js'
import { eventRules } from '../platform/eventlog/event-rules.js'
import { SqliteEventLog } from '../platform/eventlog/sqlite.js'
import { buildApp } from './http.js'
import { listenUrl } from '../platform/http/links.js'
import type { InstanceServices } from '../instances/index.js'
import type { ApplicationServices } from '../applications/index.js'
import type { RequestTimeouts } from '../platform/http/timeouts.js'
import { authenticate } from '../okeanos/identity.js'
import { Okeanos } from '../okeanos/index.js'
import { privateDir, privateFile } from '../platform/private-files.js'
import { SecretStore } from '../secrets/store.js'
import type { ReactorSettings } from '../platform/jobs/context.js'
import { ReactorRunner } from '../platform/jobs/runner.js'
import { jobsAskedBy } from '../platform/jobs/job-set.js'
import { SqliteJobQueue } from '../platform/jobs/sqlite-queue.js'
import { instanceJobAsks, instanceJobs } from '../instances/jobs/index.js'
import { applicationJobAsks, applicationJobs, deploymentWork } from '../applications/jobs/index.js'
import { liveInstancesReadModel } from '../../projections/instances/live.js'
import { openReadModelDb, ProjectionRunner } from '../../projections/runner.js'
import { domainEventVersions, eventSchemas, readModels } from './stores.js'

/** The image the original's ~okeanos helper library defaulted to (docs/original.md "Provisioning"), for the master
 *  and the slaves unless configured otherwise; ~okeanos and the emulator both have it. */
const defaultImageId = '0ad78ab6-d3cd-42c9-8922-9cf63bbb7539'

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
  /** How the reactors act on ~okeanos; they run only once `startReactors` is called. `worker`: their name on the
   *  job queue, the same across restarts (default: the host's name); `leaseMs`: how long a job is held without a
   *  heartbeat (default 30 s). */
  reactors?: Partial<Omit<ReactorSettings, 'identityUrl' | 'publicUrl'>> & { concurrency?: number; worker?: string; leaseMs?: number }
}

export interface Service {
  app: FastifyInstance
  log: SqliteEventLog
  runner: ProjectionRunner
  secrets: SecretStore
  /** The jobs on ~okeanos, once started. */
  reactors: ReactorRunner | undefined
  /** Starts the reactors; `publicUrl` is where this service's API is reached (service VMs report there). */
  startReactors(publicUrl: string): Promise<void>
  close(): Promise<void>
}

export async function createService(options: ServiceOptions): Promise<Service> {
  if (options.dataDir !== undefined) privateDir(options.dataDir)
  const file = (name: string) => (options.dataDir === undefined ? ':memory:' : privateFile(join(options.dataDir, name)))
  // The log holds only what `lod verify` can decode: a request that would poison it is refused instead. It queues the
  // jobs that events ask for with them, whether or not this process runs the reactors.
  const jobsAsked = jobsAskedBy([instanceJobAsks, applicationJobAsks])
  const log = new SqliteEventLog({
    path: file('events.db'),
    synchronous: options.synchronous ?? 'full',
    versions: domainEventVersions,
    rules: eventRules(eventSchemas, domainEventVersions),
    jobs: jobsAsked,
  })
  const readDb = openReadModelDb(file('read.db'))
  // 4 MB of pages per connection instead of better-sqlite3's 16: with a million events the default fills up and
  // takes a service past 200 MB; what is read most is answered from rendered replies (reply-cache.ts) and the
  // rest from the operating system's page cache.
  for (const db of [log.db, readDb]) db.pragma('cache_size = -4096')
  let appLog: FastifyInstance['log'] | undefined
  // The live instances read model keeps rendered replies, which its projection and the log's commits drop.
  const instances = liveInstancesReadModel(readDb)
  const live = readModels.map((model) => (model.name === instances.projection.name ? instances.projection : model))
  // After each commit, in subscription order: the read models apply it (read-your-writes), then the replies it
  // changed are dropped; the reactors and the SSE streams subscribe later, when they start.
  const runner = new ProjectionRunner(readDb, live, {
    onError: (error) =>
      appLog ? appLog.error({ err: error }, 'read model batch failed; catching up from the log') : console.error('read model batch failed', error),
  })
  const following = runner.follow(log)
  const invalidating = instances.replies.follow(log, log.headPositionSync())
  const secrets = new SecretStore(file('secrets.db'), options.secretKey)
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
  const app = await buildApp({
    instanceServices,
    applicationServices,
    okeanos: connect,
    ownerTokens,
    secrets,
    ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
    ...(options.sseHeartbeatMs !== undefined && { sseHeartbeatMs: options.sseHeartbeatMs }),
    ...(options.sseMaxStreamsPerOwner !== undefined && { sseMaxStreamsPerOwner: options.sseMaxStreamsPerOwner }),
    ...(options.sseMaxStreams !== undefined && { sseMaxStreams: options.sseMaxStreams }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
    ...(options.processMetrics !== undefined && { processMetrics: options.processMetrics }),
    ...(options.readWaitMs !== undefined && { readWaitMs: options.readWaitMs }),
    publicUrl: () => {
      if (options.publicUrl) return options.publicUrl
      const address = app.server.address()
      // Before it listens (fastify.inject in tests) the service has no address of its own.
      return address && typeof address === 'object' ? listenUrl(address) : 'http://localhost'
    },
    // This process makes every commit its clients are told of, and hears of each one as it commits: a GET asks
    // no statement of the log (a tenth of a details GET's time) unless it names a position not applied yet.
    readModelProgress: {
      knownHead: () => runner.heardPosition(),
      logHead: () => log.headPosition(),
      appliedPosition: () => runner.appliedPosition(),
      waitFor: (position, timeoutMs) => runner.waitFor(position, timeoutMs),
    },
    operations: {
      headPosition: () => log.headPositionSync(),
      readModels: () => runner.positions(),
      readModelsHealthy: () => runner.healthy(),
      reactorJobs: () => service.reactors?.jobCounts(),
    },
  })
  appLog = app.log

  const service: Service = {
    app,
    log,
    runner,
    secrets,
    reactors: undefined,
    async startReactors(publicUrl) {
      if (service.reactors) return
      const settings = options.reactors ?? {}
      service.reactors = new ReactorRunner({
        jobs: [
          instanceJobs({
            instances: instanceServices.instances,
            unfinished: (during, building) => instanceServices.instanceQueries.unfinished(during, building),
            withDeployments: () => applicationServices.applicationQueries.instancesWithDeployments(),
            deployments: deploymentWork(applicationServices.applications),
          }),
          applicationJobs({
            applications: applicationServices.applications,
            uploadsDir,
            uploading: () => applicationServices.applicationQueries.uploading(),
            ids: () => applicationServices.applicationQueries.ids(),
          }),
        ],
        queue: new SqliteJobQueue(log),
        asks: jobsAsked,
        worker: settings.worker ?? hostname(),
        ...(settings.leaseMs !== undefined && { leaseMs: settings.leaseMs }),
        runtime: {
          secrets,
          settings: {
            identityUrl: options.identityUrl,
            publicUrl: publicUrl.replace(/\/+$/, ''),
            masterImageId: settings.masterImageId ?? defaultImageId,
            slaveImageId: settings.slaveImageId ?? defaultImageId,
            okeanosTimeoutMs: timeoutMs,
            buildTimeoutMs: settings.buildTimeoutMs ?? 600_000,
            pollIntervalMs: settings.pollIntervalMs ?? 1_000,
            attempts: settings.attempts ?? 5,
            backoffMs: settings.backoffMs ?? 500,
            ssh: settings.ssh ?? { port: 22 },
          },
        },
        concurrency: settings.concurrency ?? 8,
        onError: (error, job) =>
          job ? app.log.warn({ err: error, subjectId: job.id, job: job.kind }, 'reactor job failed') : app.log.warn({ err: error }, 'job queue failed'),
      })
      await service.reactors.start(log)
    },
    async close() {
      await service.reactors?.close()
      await app.close()
      following.close()
      invalidating.close()
      await log.close()
      readDb.close()
      secrets.close()
      if (options.dataDir === undefined) rmSync(uploadsDir, { recursive: true, force: true })
    },
  }
  return service
}
