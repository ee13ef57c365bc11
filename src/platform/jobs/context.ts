import { isOkeanosError, Okeanos, OkeanosError, WaitTimeoutError } from '../../okeanos/index.js'
import type { SecretStore } from '../../secrets/store.js'
import type { JobLease } from '../eventlog/port.js'

// What every job works with, whatever it is about: an ~okeanos client acting with the owner's token, the retry
// policy for ~okeanos calls, the service's stop, and the job's lease. A slice's jobs extend it with what they are about (the
// instance's context in src/instances/jobs/context.ts, the application's in src/applications/jobs/context.ts).

export interface ReactorSettings {
  identityUrl: string
  /** The service's own base URL, which service VMs report to. */
  publicUrl: string
  masterImageId: string
  slaveImageId: string
  okeanosTimeoutMs: number
  /** How long a server may take to build, start or stop. */
  buildTimeoutMs: number
  pollIntervalMs: number
  /** Where the masters' SSH servers are reached: a fixed host and port (the emulator), or each master's public
   *  IP on port 22 (~okeanos). */
  ssh: { host?: string; port: number }
  /** Tries of an ~okeanos call that fails with a 5xx or a timeout, and the first pause between them. */
  attempts: number
  backoffMs: number
}

export interface JobRuntime {
  secrets: SecretStore
  settings: ReactorSettings
  /** Set when the service is stopping (jobs end at their next step and resume after the restart), or when the job
   *  lost its lease (another worker has it now). */
  stopping(): boolean
  /** The job's lease, which what it records carries: once another worker has taken the job over, it cannot write. */
  lease?: JobLease
  /** The job was asked for moments ago: what its request keeps once its append is acknowledged (the owner's
   *  token) may not be kept yet. */
  justAsked?: boolean
}

/** A job's end that is not a failure: the instance moved on (destroyed meanwhile), or the service stops. */
export class JobAbandoned extends Error {}

/** A failure whose message is meant for the user, as the instance's failure_message. */
export class JobFailed extends Error {}

/** A job that cannot start yet and is tried again shortly: the request that asked for it has not kept the owner's
 *  token yet (it keeps it once its append is acknowledged, which a worker may beat, even on another node). */
export class JobNotReady extends JobAbandoned {}

/** A job that has done what it could for now and is to run again after `delayMs` (a webhook delivery waiting to be
 *  retried): the queue keeps it, first of its stream, so what its stream asks for next waits behind it. */
export class JobDeferred extends Error {
  /** `cause`: what went wrong, if something did (the runner reports it). */
  constructor(
    readonly delayMs: number,
    cause?: unknown,
  ) {
    super(`deferred by ${delayMs} ms`, cause === undefined ? undefined : { cause })
    this.name = 'JobDeferred'
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export class JobContext {
  private okeanosClient: Okeanos | undefined

  /** `subjectId`: what the job is about (an instance, an application), whose owner's token is kept under it. */
  constructor(
    readonly deps: JobRuntime,
    private readonly subjectId: string,
  ) {}

  get settings(): ReactorSettings {
    return this.deps.settings
  }

  /** Ends the job here when the service stops: the next start resumes it. */
  notStopping(): void {
    if (this.deps.stopping()) throw new JobAbandoned('service stopping')
  }

  async okeanos(): Promise<Okeanos> {
    if (this.okeanosClient) return this.okeanosClient
    const token = await this.deps.secrets.get(this.subjectId, 'owner-token')
    if (!token) {
      const missing = "No ~okeanos token of the owner is known; repeat the request."
      throw this.deps.justAsked ? new JobNotReady(missing) : new JobFailed(missing)
    }
    this.okeanosClient = await this.call(() =>
      Okeanos.connect(this.settings.identityUrl, token, { timeoutMs: this.settings.okeanosTimeoutMs }),
    )
    return this.okeanosClient
  }

  /**
   * Finds a resource or creates it. A create that fails with a 5xx or a timeout may still have happened on
   * ~okeanos (the answer was lost), so before trying again we look for it once more.
   */
  async ensure<T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.call(find)
      if (found !== undefined) return found
      try {
        return await create()
      } catch (error) {
        if (!(error instanceof OkeanosError) || !error.transient || attempt >= this.settings.attempts) throw error
        this.notStopping()
        await sleep(this.settings.backoffMs * 2 ** (attempt - 1))
      }
    }
  }

  /** Runs an ~okeanos call, again after 5xx answers and timeouts (with backoff), never after a 4xx. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (error) {
        if (!(error instanceof OkeanosError) || !error.transient || attempt >= this.settings.attempts) throw error
        this.notStopping()
        await sleep(this.settings.backoffMs * 2 ** (attempt - 1))
      }
    }
  }
}

/** The failure_message a failed job leaves: ~okeanos's own words where it spoke. */
export function failureMessage(error: unknown): string {
  if (isOkeanosError(error)) return error.okeanosMessage || `~okeanos answered ${error.status}`
  if (error instanceof WaitTimeoutError) return error.message
  if (error instanceof Error) return error.message
  return String(error)
}
