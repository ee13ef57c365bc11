import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { JobsAskedFor } from '../platform/eventlog/port.js'
import type { ReactorSettings } from '../platform/jobs/context.js'
import type { JobQueue } from '../platform/jobs/queue.js'
import { ReactorRunner } from '../platform/jobs/runner.js'
import type { SecretStore } from '../secrets/store.js'
import type { InstanceServices } from '../instances/index.js'
import { instanceJobs } from '../instances/jobs/index.js'
import type { ApplicationServices } from '../applications/index.js'
import { applicationJobs, deploymentWork } from '../applications/jobs/index.js'
import { webhookJobs, type DeliverySettings, type WebhookServices } from '../webhooks/index.js'

/** The image the original's ~okeanos helper library defaulted to (docs/original.md "Provisioning"), for the master
 *  and the slaves unless configured otherwise; ~okeanos and the emulator both have it. */
const defaultImageId = '0ad78ab6-d3cd-42c9-8922-9cf63bbb7539'

// The reactors: the slices' jobs on ~okeanos, claimed from the log's job queue by the job runner and run with the
// services they act through.

/** `worker`: the reactors' name on the job queue, the same across restarts (default: defaultWorkerName); `leaseMs`:
 *  how long a job is held without a heartbeat (default 30 s). */
export type ReactorOptions = Partial<Omit<ReactorSettings, 'identityUrl' | 'publicUrl'>> & {
  concurrency?: number
  worker?: string
  leaseMs?: number
}

/** A worker that starts takes back what its name held, as the jobs of its killed self: two processes at once must
 *  not share a name, and one started again should get its own back, not wait for the leases to expire. Nodes each
 *  have their own data directory, so the host's name with the directory's path tells the processes of one host
 *  apart and stays the same across restarts. Without a data directory (read models in memory) the host's name. */
export function defaultWorkerName(dataDir: string | undefined): string {
  return dataDir === undefined ? hostname() : `${hostname()}:${resolve(dataDir)}`
}

export interface ReactorDeps {
  /** Where this process keeps its read models (undefined: in memory). */
  dataDir: string | undefined
  instanceServices: InstanceServices
  applicationServices: ApplicationServices
  webhookServices: WebhookServices
  /** How webhook deliveries are sent and retried. */
  delivery: DeliverySettings
  secrets: SecretStore
  queue: JobQueue
  /** Which events ask for jobs: their commits send the runner to the queue. */
  asks: JobsAskedFor
  identityUrl: string
  okeanosTimeoutMs: number
  log: FastifyBaseLogger
}

/** `publicUrl`: where the API is reached (service VMs report there). */
export function reactorRunner(deps: ReactorDeps, settings: ReactorOptions, publicUrl: string): ReactorRunner {
  const { instanceServices, applicationServices } = deps
  return new ReactorRunner({
    jobs: [
      instanceJobs({
        instances: instanceServices.instances,
        unfinished: (during, building) => instanceServices.instanceQueries.unfinished(during, building),
        withDeployments: () => applicationServices.applicationQueries.instancesWithDeployments(),
        deployments: deploymentWork(applicationServices.applications),
      }),
      applicationJobs({
        applications: applicationServices.applications,
        uploadsDir: applicationServices.uploadsDir,
        uploading: () => applicationServices.applicationQueries.uploading(),
        ids: () => applicationServices.applicationQueries.ids(),
      }),
      webhookJobs({
        webhooks: deps.webhookServices.webhooks,
        delivery: deps.delivery,
        pending: () => deps.webhookServices.webhookQueries.pending(),
      }),
    ],
    queue: deps.queue,
    asks: deps.asks,
    worker: settings.worker ?? defaultWorkerName(deps.dataDir),
    ...(settings.leaseMs !== undefined && { leaseMs: settings.leaseMs }),
    runtime: {
      secrets: deps.secrets,
      settings: {
        identityUrl: deps.identityUrl,
        publicUrl: publicUrl.replace(/\/+$/, ''),
        masterImageId: settings.masterImageId ?? defaultImageId,
        slaveImageId: settings.slaveImageId ?? defaultImageId,
        okeanosTimeoutMs: deps.okeanosTimeoutMs,
        buildTimeoutMs: settings.buildTimeoutMs ?? 600_000,
        pollIntervalMs: settings.pollIntervalMs ?? 1_000,
        attempts: settings.attempts ?? 5,
        backoffMs: settings.backoffMs ?? 500,
        ssh: settings.ssh ?? { port: 22 },
      },
    },
    concurrency: settings.concurrency ?? 8,
    onError: (error, job) =>
      job ? deps.log.warn({ err: error, subjectId: job.id, job: job.kind }, 'reactor job failed') : deps.log.warn({ err: error }, 'job queue failed'),
  })
}
