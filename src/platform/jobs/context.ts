import type { CommandHandler } from '../command-handler.js'
import type { ApplicationCommand, ApplicationState } from '../../applications/decider.js'
import type { ApplicationEvent } from '../../applications/events.js'
import { instanceStream, type InstanceEvent } from '../../instances/events.js'
import type { Instance, InstanceCommand, InstanceState } from '../../instances/decider.js'
import { Rejection } from '../rejection.js'
import type { InstanceStatusCode } from '../../instances/statuses.js'
import { isOkeanosError, Okeanos, OkeanosError, WaitTimeoutError } from '../../okeanos/index.js'
import type { SecretStore } from '../../secrets/store.js'

// What every reactor job works with: the instance's state from its stream, commands to record what happened,
// an ~okeanos client acting with the owner's token, and the retry policy for ~okeanos calls.

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

export interface ReactorDeps {
  instances: CommandHandler<InstanceCommand, InstanceEvent, InstanceState>
  applications: CommandHandler<ApplicationCommand, ApplicationEvent, ApplicationState>
  /** Where uploads wait until they are on Pithos (`<application id>.jar`). */
  uploadsDir: string
  secrets: SecretStore
  settings: ReactorSettings
  /** Set when the service is stopping: jobs end at their next step and resume after the restart. */
  stopping(): boolean
}

/** A job's end that is not a failure: the instance moved on (destroyed meanwhile), or the service stops. */
export class JobAbandoned extends Error {}

/** A failure whose message is meant for the user, as the instance's failure_message. */
export class JobFailed extends Error {}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export class JobContext {
  private okeanosClient: Okeanos | undefined

  constructor(
    readonly deps: ReactorDeps,
    readonly instanceId: string,
    readonly reactor: string,
  ) {}

  get settings(): ReactorSettings {
    return this.deps.settings
  }

  async instance(): Promise<Instance> {
    const { state } = await this.deps.instances.load(instanceStream(this.instanceId))
    if (!state.exists) throw new JobAbandoned('no such instance')
    return state
  }

  /** The instance, provided it is still in `status`; otherwise the job has nothing left to do. */
  async stillIn(status: InstanceStatusCode): Promise<Instance> {
    if (this.deps.stopping()) throw new JobAbandoned('service stopping')
    const instance = await this.instance()
    if (instance.status !== status) throw new JobAbandoned(`instance is no longer ${status}`)
    return instance
  }

  /** The instance, provided nobody has asked to destroy it meanwhile. */
  async notDestroyed(): Promise<Instance> {
    if (this.deps.stopping()) throw new JobAbandoned('service stopping')
    const instance = await this.instance()
    if (instance.status === '5' || instance.status === '6') throw new JobAbandoned('instance is being destroyed')
    return instance
  }

  /** Records what happened; a command the stream already reflects (a repeated step) is not an error. */
  async record(command: InstanceCommand): Promise<void> {
    try {
      await this.deps.instances.handle(instanceStream(this.instanceId), command, {
        metadata: { actor: this.reactor, correlation_id: this.instanceId },
      })
    } catch (error) {
      if (error instanceof Rejection && error.kind === 'conflict') return
      throw error
    }
  }

  async setStatus(status: InstanceStatusCode, failureMessage = ''): Promise<void> {
    await this.record({
      type: 'ChangeInstanceStatus',
      id: this.instanceId,
      actor: { kind: 'reactor', name: this.reactor },
      status,
      failureMessage,
    })
  }

  async okeanos(): Promise<Okeanos> {
    if (this.okeanosClient) return this.okeanosClient
    const token = this.deps.secrets.get(this.instanceId, 'owner-token')
    if (!token) throw new JobFailed("No ~okeanos token of the instance's owner is known; repeat the request.")
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
        if (this.deps.stopping()) throw new JobAbandoned('service stopping')
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
        if (this.deps.stopping()) throw new JobAbandoned('service stopping')
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
