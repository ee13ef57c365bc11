import { Type, type Static } from 'typebox'
import { streamName } from '../platform/streams.js'
import { deploymentEventSchemas } from './deployment-events.js'
import { InstanceStatusCode } from './statuses.js'

// Every stored event type with the schema of its data. Never rename a stored type: add a new one,
// or a new version with an upcaster.

/** What the user asked for at create time, defaults filled in (docs/original.md "Creating an instance"); stored and shown as `instance_info`. */
export const InstanceSpec = Type.Object({
  instance_name: Type.String(),
  master_name: Type.String(),
  project_name: Type.String(),
  slaves: Type.Integer(),
  vcpus_master: Type.Integer(),
  vcpus_slave: Type.Integer(),
  ram_master: Type.Integer(),
  ram_slave: Type.Integer(),
  disk_master: Type.Integer(),
  disk_slave: Type.Integer(),
  ip_allocation: Type.String(),
  network_request: Type.Integer(),
  public_key_name: Type.Array(Type.String()),
  kafka_input_topics: Type.Array(Type.String()),
  kafka_output_topics: Type.Array(Type.String()),
})
export type InstanceSpec = Static<typeof InstanceSpec>

/** Version 2 (event-versions.ts): `owner_name` added; v1 events read with `owner_name: null`. */
export const InstanceRequested = Type.Object({
  owner: Type.String(),
  /** The requester's ~okeanos display name, for the audit; null when not recorded. */
  owner_name: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  instance_info: InstanceSpec,
})

/** A record created by a service VM through the status family: its instance_info is whatever it sent. */
export const InstanceRegistered = Type.Object({
  owner: Type.String(),
  name: Type.String(),
  instance_info: Type.Unknown(),
  status: InstanceStatusCode,
  failure_message: Type.String(),
})

const Empty = Type.Object({})

export const StatusSource = Type.Union([Type.Literal('reactor'), Type.Literal('service-vm'), Type.Literal('user')])
export type StatusSource = Static<typeof StatusSource>

export const InstanceStatusChanged = Type.Object({
  status: InstanceStatusCode,
  failure_message: Type.String(),
  source: StatusSource,
})

const Server = Type.Object({ id: Type.Integer(), name: Type.String() })
export const ClusterProvisioned = Type.Object({
  master: Server,
  slaves: Type.Array(Server),
  network: Type.Object({ id: Type.String(), subnet_id: Type.String(), cidr: Type.String(), gateway: Type.String() }),
  floating_ip: Type.Object({ id: Type.String(), address: Type.String() }),
})

/** The provisioning reactor passed the quota and flavor checks and starts creating resources. */
export const ProvisioningStarted = Type.Object({ project_id: Type.String() })

/** One ~okeanos resource the provisioning reactor created (or found already created) for the cluster. */
export const ClusterResourceCreated = Type.Object({
  kind: Type.Union([Type.Literal('network'), Type.Literal('subnet'), Type.Literal('floating-ip'), Type.Literal('server')]),
  id: Type.String(),
  name: Type.Optional(Type.String()),
  address: Type.Optional(Type.String()),
  role: Type.Optional(Type.Union([Type.Literal('master'), Type.Literal('slave')])),
})
export type ClusterResource = Static<typeof ClusterResourceCreated>

export const instanceEventSchemas = {
  InstanceRequested,
  InstanceRegistered,
  InstanceStartRequested: Empty,
  InstanceStopRequested: Empty,
  InstanceDestroyRequested: Empty,
  InstanceStatusChanged,
  ClusterProvisioned,
  ProvisioningStarted,
  ClusterResourceCreated,
  ...deploymentEventSchemas,
} as const

export type InstanceEventType = keyof typeof instanceEventSchemas
export type InstanceEvent = {
  [K in InstanceEventType]: { type: K; data: Static<(typeof instanceEventSchemas)[K]> }
}[InstanceEventType]


export const instanceCategory = 'instance'

export function instanceStream(id: string): string {
  return streamName(instanceCategory, id)
}
