import type { Static } from 'typebox'
import type { ClusterProvisioned, ClusterResource, InstanceEvent, InstanceSpec, StatusSource } from './events.js'
import { deploymentEventSchemas, type DeploymentEvent } from './deployment-events.js'
import { decideDeployment, deploymentsAfterStatus, evolveDeployments, type DeploymentCommand, type Deployments } from './deployments.js'
import type { Actor } from '../platform/actor.js'
import { conflict, invalid, notFound } from '../platform/rejection.js'
import { InstanceStatus, installStages, instanceStatusName, type InstanceStatusCode } from './statuses.js'
import { statusAfter } from './status-after.js'

// The lambda-instance aggregate: what a command may do given the instance's history (docs/original.md "Start and stop", "Destroy", "Status family").

export type { Actor }

/** What the provisioning reactor has done so far: enough to resume after a crash without repeating a step. */
export interface Provisioning {
  projectId: string
  network?: string
  subnet?: string
  floatingIp?: { id: string; address: string }
  master?: { id: number; name: string }
  slaves: Array<{ id: number; name: string }>
}

export interface Instance {
  exists: true
  owner: string
  name: string
  status: InstanceStatusCode
  failureMessage: string
  /** The create request; null for an instance a service VM registered. */
  spec: InstanceSpec | null
  provisioning: Provisioning | null
  cluster: Static<typeof ClusterProvisioned> | null
  deployments: Deployments
}
export type InstanceState = { exists: false } | Instance

export type InstanceCommand =
  | { type: 'RequestInstance'; id: string; owner: string; ownerName?: string; name: string; spec: InstanceSpec }
  | {
      type: 'RegisterInstance'
      id: string
      owner: string
      name: string
      instanceInfo: unknown
      status: InstanceStatusCode
      failureMessage: string
    }
  | { type: 'StartInstance'; id: string; actor: Actor }
  | { type: 'StopInstance'; id: string; actor: Actor }
  | { type: 'DestroyInstance'; id: string; actor: Actor }
  | { type: 'MarkInstanceDestroyed'; id: string; actor: Actor }
  | { type: 'ChangeInstanceStatus'; id: string; actor: Actor; status: InstanceStatusCode; failureMessage: string }
  | ({ id: string; actor: Actor } & DeploymentCommand)
  | { type: 'StartProvisioning'; id: string; actor: Actor; projectId: string }
  | { type: 'RecordClusterResource'; id: string; actor: Actor; resource: ClusterResource }
  | { type: 'CompleteProvisioning'; id: string; actor: Actor; cluster: Static<typeof ClusterProvisioned> }

export const initialInstanceState = (): InstanceState => ({ exists: false })

export const messages = {
  notFound: "The specified lambda instance doesn't exist.",
  alreadyCreated: 'The specified lambda instance has already been created.',
  alreadyStarted: 'The specified lambda instance is already started.',
  alreadyStopped: 'The specified lambda instance is already stopped.',
  alreadyDestroyed: 'The specified lambda instance is already destroyed.',
  badAction: 'action POST parameter can be used with start or stop value.',
  cantStart: (status: InstanceStatusCode) =>
    `Can't start a lambda instance while lambda instance status is ${instanceStatusName(status)}.`,
  cantStop: (status: InstanceStatusCode) =>
    `Can't stop a lambda instance while lambda instance status is ${instanceStatusName(status)}.`,
  cantChangeStatus: (status: InstanceStatusCode) =>
    `Can't change the status of a lambda instance while lambda instance status is ${instanceStatusName(status)}.`,
  sameStatus: (status: InstanceStatusCode) => `The specified lambda instance status is already ${status}.`,
} as const

const clusterCreated = (source: StatusSource): InstanceEvent => ({
  type: 'InstanceStatusChanged',
  data: { status: InstanceStatus.CLUSTER_CREATED, failure_message: '', source },
})

function sourceOf(actor: Actor): StatusSource {
  return actor.kind === 'service-vm' ? 'service-vm' : actor.kind
}

/** Whether ~okeanos may hold resources of the instance: it was requested here (a registered record has no
 *  spec), or provisioning left a trace. */
function builtHere(instance: Instance): boolean {
  return instance.spec !== null || instance.provisioning !== null || instance.cluster !== null
}

/** Another owner's instance is indistinguishable from a missing one. */
function visibleTo(state: InstanceState, id: string, actor: Actor): state is Instance {
  if (!state.exists) return false
  switch (actor.kind) {
    case 'user':
      return state.owner === actor.owner
    case 'service-vm':
      return actor.instanceId === id
    case 'reactor':
      return true
  }
}

function existing(state: InstanceState, id: string, actor: Actor): Instance {
  if (!visibleTo(state, id, actor)) throw notFound(messages.notFound)
  return state
}

/** What the API's action parameter names, read at the edge; anything else is refused by refuseUnknownAction. */
export type InstanceAction = 'start' | 'stop'
export const instanceActionCommands = { start: 'StartInstance', stop: 'StopInstance' } as const

/** An action the API does not know: invalid, but only once the caller may see the instance, which is looked up
 *  first (an unknown id answers 404 whatever the action). */
export function refuseUnknownAction(state: InstanceState, id: string, actor: Actor): never {
  existing(state, id, actor)
  throw invalid(messages.badAction)
}

export function decideInstance(command: InstanceCommand, state: InstanceState): InstanceEvent[] {
  switch (command.type) {
    case 'DeployApp':
    case 'WithdrawApp':
    case 'StartApp':
    case 'StopApp':
    case 'RecordAppDeployed':
    case 'RecordAppDeployFailed':
    case 'RecordAppWithdrawn':
    case 'RecordAppStarted':
    case 'RecordAppStopped':
    case 'RecordAppJobFailed': {
      const instance = existing(state, command.id, command.actor)
      return decideDeployment(command, instance.status, instance.deployments)
    }

    case 'RequestInstance':
      if (state.exists) throw conflict(messages.alreadyCreated)
      return [
        {
          type: 'InstanceRequested',
          data: { owner: command.owner, owner_name: command.ownerName ?? null, name: command.name, instance_info: command.spec },
        },
      ]

    case 'RegisterInstance':
      if (state.exists) throw conflict(messages.alreadyCreated)
      return [
        {
          type: 'InstanceRegistered',
          data: {
            owner: command.owner,
            name: command.name,
            instance_info: command.instanceInfo,
            status: command.status,
            failure_message: command.failureMessage,
          },
        },
      ]

    case 'StartInstance': {
      const instance = existing(state, command.id, command.actor)
      if (instance.status === InstanceStatus.STARTED) throw conflict(messages.alreadyStarted)
      if (instance.status !== InstanceStatus.STOPPED && instance.status !== InstanceStatus.FAILED)
        throw conflict(messages.cantStart(instance.status))
      return [{ type: 'InstanceStartRequested', data: {} }]
    }

    case 'StopInstance': {
      const instance = existing(state, command.id, command.actor)
      if (instance.status === InstanceStatus.STOPPED) throw conflict(messages.alreadyStopped)
      if (instance.status !== InstanceStatus.STARTED && instance.status !== InstanceStatus.FAILED)
        throw conflict(messages.cantStop(instance.status))
      return [{ type: 'InstanceStopRequested', data: {} }]
    }

    case 'DestroyInstance': {
      const instance = existing(state, command.id, command.actor)
      if (instance.status === InstanceStatus.DESTROYED) throw conflict(messages.alreadyDestroyed)
      return [{ type: 'InstanceDestroyRequested', data: {} }]
    }

    case 'MarkInstanceDestroyed': {
      const instance = existing(state, command.id, command.actor)
      // The status family answers 404 for an instance that is already gone (docs/original.md "Status family").
      if (instance.status === InstanceStatus.DESTROYED) throw notFound(messages.notFound)
      // Marking a cluster we built dead would leave its VMs, network and public IP running, unreachable by any
      // later destroy: it has to go through the destroy reactor like the user's DELETE.
      if (builtHere(instance)) return [{ type: 'InstanceDestroyRequested', data: {} }]
      return [
        {
          type: 'InstanceStatusChanged',
          data: { status: InstanceStatus.DESTROYED, failure_message: '', source: sourceOf(command.actor) },
        },
      ]
    }

    case 'ChangeInstanceStatus': {
      const instance = existing(state, command.id, command.actor)
      if (instance.status === command.status) throw conflict(messages.sameStatus(command.status))
      // DESTROYED is final; while DESTROYING only the destroy reactor may say how it ended, so that a late
      // progress report of a service VM cannot pull a dying instance back to life.
      if (
        instance.status === InstanceStatus.DESTROYED ||
        (instance.status === InstanceStatus.DESTROYING && command.actor.kind !== 'reactor')
      )
        throw conflict(messages.cantChangeStatus(instance.status))
      const change: InstanceEvent = {
        type: 'InstanceStatusChanged',
        data: { status: command.status, failure_message: command.failureMessage, source: sourceOf(command.actor) },
      }
      // A service VM reports its first stage only once it reaches every node (the original's initialize.yml
      // waits for SSH on all of them): the cluster is up, even if the provisioning reactor has not seen it yet.
      if (instance.status === InstanceStatus.PENDING && command.actor.kind === 'service-vm' && installStages.has(command.status))
        return [clusterCreated('service-vm'), change]
      return [change]
    }

    case 'StartProvisioning': {
      const instance = existing(state, command.id, command.actor)
      if (instance.provisioning) return []
      return [{ type: 'ProvisioningStarted', data: { project_id: command.projectId } }]
    }

    case 'RecordClusterResource': {
      existing(state, command.id, command.actor)
      return [{ type: 'ClusterResourceCreated', data: command.resource }]
    }

    case 'CompleteProvisioning': {
      const instance = existing(state, command.id, command.actor)
      if (instance.cluster) return []
      // The master's service VM starts reporting its install stages as soon as it is up, which can be before
      // every slave is: a stage it already reported must not be pulled back to CLUSTER_CREATED.
      return instance.status === InstanceStatus.PENDING
        ? [
            { type: 'ClusterProvisioned', data: command.cluster },
            clusterCreated('reactor'),
          ]
        : [{ type: 'ClusterProvisioned', data: command.cluster }]
    }
  }
}

function withResource(provisioning: Provisioning, resource: ClusterResource): Provisioning {
  switch (resource.kind) {
    case 'network':
      return { ...provisioning, network: resource.id }
    case 'subnet':
      return { ...provisioning, subnet: resource.id }
    case 'floating-ip':
      return { ...provisioning, floatingIp: { id: resource.id, address: resource.address ?? '' } }
    case 'server': {
      const server = { id: Number(resource.id), name: resource.name ?? '' }
      return resource.role === 'master'
        ? { ...provisioning, master: server }
        : { ...provisioning, slaves: [...provisioning.slaves.filter((s) => s.id !== server.id), server] }
    }
  }
}

export function evolveInstance(state: InstanceState, event: InstanceEvent): InstanceState {
  if (event.type === 'InstanceRequested' || event.type === 'InstanceRegistered') {
    const { status, failureMessage } = statusAfter(event)!
    const spec = event.type === 'InstanceRequested' ? event.data.instance_info : null
    return { exists: true, owner: event.data.owner, name: event.data.name, status, failureMessage, spec, provisioning: null, cluster: null, deployments: {} }
  }
  if (!state.exists) return state
  if (event.type === 'ClusterProvisioned') return { ...state, cluster: event.data }
  if (event.type === 'ProvisioningStarted') return { ...state, provisioning: { projectId: event.data.project_id, slaves: [] } }
  if (event.type === 'ClusterResourceCreated')
    return state.provisioning ? { ...state, provisioning: withResource(state.provisioning, event.data) } : state
  if (deploymentEventTypes.has(event.type)) return { ...state, deployments: evolveDeployments(state.deployments, event as DeploymentEvent) }
  const next = statusAfter(event)
  if (!next) return state
  return { ...state, status: next.status, failureMessage: next.failureMessage, deployments: deploymentsAfterStatus(state.deployments, next.status) }
}

const deploymentEventTypes = new Set(Object.keys(deploymentEventSchemas))

export const instanceDecider = {
  decide: decideInstance,
  evolve: evolveInstance,
  initialState: initialInstanceState,
}
