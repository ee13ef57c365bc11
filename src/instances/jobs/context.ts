import type { CommandHandler } from '../../platform/command-handler.js'
import { JobAbandoned, JobContext, type JobRuntime } from '../../platform/jobs/context.js'
import { Rejection } from '../../platform/rejection.js'
import type { Instance, InstanceCommand, InstanceState } from '../decider.js'
import { instanceStream, type InstanceEvent } from '../events.js'
import { destroyStatuses, type InstanceStatusCode } from '../statuses.js'

// What a job on an instance's stream works with: the instance's state from its stream, and commands to record
// what happened, as the job's reactor.

export type InstanceCommands = CommandHandler<InstanceCommand, InstanceEvent, InstanceState>

export class InstanceJob extends JobContext {
  constructor(
    runtime: JobRuntime,
    readonly instanceId: string,
    readonly reactor: string,
    private readonly instances: InstanceCommands,
  ) {
    super(runtime, instanceId)
  }

  async instance(): Promise<Instance> {
    const { state } = await this.instances.load(instanceStream(this.instanceId))
    if (!state.exists) throw new JobAbandoned('no such instance')
    return state
  }

  /** The instance, provided it is still in `status`; otherwise the job has nothing left to do. */
  async stillIn(status: InstanceStatusCode): Promise<Instance> {
    this.notStopping()
    const instance = await this.instance()
    if (instance.status !== status) throw new JobAbandoned(`instance is no longer ${status}`)
    return instance
  }

  /** The instance, provided nobody has asked to destroy it meanwhile. */
  async notDestroyed(): Promise<Instance> {
    this.notStopping()
    const instance = await this.instance()
    if (destroyStatuses.has(instance.status)) throw new JobAbandoned('instance is being destroyed')
    return instance
  }

  /** Records what happened, under the job's lease; a command the stream already reflects (a repeated step) is not an
   *  error. */
  async record(command: InstanceCommand): Promise<void> {
    try {
      await this.instances.handle(instanceStream(this.instanceId), command, {
        metadata: { actor: this.reactor, correlation_id: this.instanceId },
        ...(this.deps.lease && { lease: this.deps.lease }),
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
}
