import type { Static } from 'typebox'
import type { ClusterProvisioned, InstanceEvent, InstanceSpec, StatusSource } from './events.js'
import { conflict, invalid, notFound } from './rejection.js'
import { InstanceStatus, instanceStatusName, type InstanceStatusCode } from './statuses.js'

// The lambda-instance aggregate: what a command may do given the instance's history (upstream §2.9, §2.10, §3).

/** Who sends a command. A service VM may act only on the instance whose token it holds. */
export type Actor =
  | { kind: 'user'; owner: string }
  | { kind: 'service-vm'; instanceId: string }
  | { kind: 'reactor'; name: string }

export interface Instance {
  exists: true
  owner: string
  name: string
  status: InstanceStatusCode
  failureMessage: string
  cluster: Static<typeof ClusterProvisioned> | null
}
export type InstanceState = { exists: false } | Instance

export type InstanceCommand =
  | { type: 'RequestInstance'; id: string; owner: string; name: string; spec: InstanceSpec }
  | {
      type: 'RegisterInstance'
      id: string
      owner: string
      name: string
      instanceInfo: unknown
      status: InstanceStatusCode
      failureMessage: string
    }
  | { type: 'RunInstanceAction'; id: string; actor: Actor; action: string }
  | { type: 'DestroyInstance'; id: string; actor: Actor }
  | { type: 'MarkInstanceDestroyed'; id: string; actor: Actor }
  | { type: 'ChangeInstanceStatus'; id: string; actor: Actor; status: InstanceStatusCode; failureMessage: string }
  | { type: 'RecordClusterProvisioned'; id: string; actor: Actor; cluster: Static<typeof ClusterProvisioned> }

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

function sourceOf(actor: Actor): StatusSource {
  return actor.kind === 'service-vm' ? 'service-vm' : actor.kind
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

export function decideInstance(command: InstanceCommand, state: InstanceState): InstanceEvent[] {
  switch (command.type) {
    case 'RequestInstance':
      if (state.exists) throw conflict(messages.alreadyCreated)
      return [{ type: 'InstanceRequested', data: { owner: command.owner, name: command.name, instance_info: command.spec } }]

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

    case 'RunInstanceAction': {
      const instance = existing(state, command.id, command.actor)
      if (command.action === 'start') {
        if (instance.status === InstanceStatus.STARTED) throw conflict(messages.alreadyStarted)
        if (instance.status !== InstanceStatus.STOPPED && instance.status !== InstanceStatus.FAILED)
          throw conflict(messages.cantStart(instance.status))
        return [{ type: 'InstanceStartRequested', data: {} }]
      }
      if (command.action === 'stop') {
        if (instance.status === InstanceStatus.STOPPED) throw conflict(messages.alreadyStopped)
        if (instance.status !== InstanceStatus.STARTED && instance.status !== InstanceStatus.FAILED)
          throw conflict(messages.cantStop(instance.status))
        return [{ type: 'InstanceStopRequested', data: {} }]
      }
      throw invalid(messages.badAction)
    }

    case 'DestroyInstance': {
      const instance = existing(state, command.id, command.actor)
      if (instance.status === InstanceStatus.DESTROYED) throw conflict(messages.alreadyDestroyed)
      return [{ type: 'InstanceDestroyRequested', data: {} }]
    }

    case 'MarkInstanceDestroyed': {
      const instance = existing(state, command.id, command.actor)
      // The status family answers 404 for an instance that is already gone (upstream §3).
      if (instance.status === InstanceStatus.DESTROYED) throw notFound(messages.notFound)
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
      return [
        {
          type: 'InstanceStatusChanged',
          data: { status: command.status, failure_message: command.failureMessage, source: sourceOf(command.actor) },
        },
      ]
    }

    case 'RecordClusterProvisioned': {
      existing(state, command.id, command.actor)
      return [{ type: 'ClusterProvisioned', data: command.cluster }]
    }
  }
}

/** The status an event leaves the instance in, if it sets one: shared by the decider's state and the read models. */
export function statusAfter(event: InstanceEvent): { status: InstanceStatusCode; failureMessage: string } | null {
  switch (event.type) {
    case 'InstanceRequested':
      return { status: InstanceStatus.PENDING, failureMessage: '' }
    case 'InstanceRegistered':
      return { status: event.data.status, failureMessage: event.data.failure_message }
    case 'InstanceStartRequested':
      return { status: InstanceStatus.STARTING, failureMessage: '' }
    case 'InstanceStopRequested':
      return { status: InstanceStatus.STOPPING, failureMessage: '' }
    case 'InstanceDestroyRequested':
      return { status: InstanceStatus.DESTROYING, failureMessage: '' }
    case 'InstanceStatusChanged':
      return { status: event.data.status, failureMessage: event.data.failure_message }
    case 'ClusterProvisioned':
      return null
  }
}

export function evolveInstance(state: InstanceState, event: InstanceEvent): InstanceState {
  if (event.type === 'InstanceRequested' || event.type === 'InstanceRegistered') {
    const { status, failureMessage } = statusAfter(event)!
    return { exists: true, owner: event.data.owner, name: event.data.name, status, failureMessage, cluster: null }
  }
  if (!state.exists) return state
  if (event.type === 'ClusterProvisioned') return { ...state, cluster: event.data }
  const next = statusAfter(event)
  return next ? { ...state, status: next.status, failureMessage: next.failureMessage } : state
}

export const instanceDecider = {
  decide: decideInstance,
  evolve: evolveInstance,
  initialState: initialInstanceState,
}
