import { Type } from 'typebox'
import { statusView, type StatusView } from '../platform/status-view.js'

// The lambda-instance statuses of the original service (docs/original.md "Statuses"). Codes are strings on the wire and in events.

export const instanceStatuses = {
  '0': { name: 'STARTED', detail: 'Lambda instance has been started' },
  '1': { name: 'STOPPED', detail: 'Lambda instance has been stopped' },
  '2': { name: 'PENDING', detail: 'Lambda instance installation is pending' },
  '3': { name: 'STARTING', detail: 'Lambda instance is starting' },
  '4': { name: 'STOPPING', detail: 'Lambda instance is stopping' },
  '5': { name: 'DESTROYING', detail: 'Lambda instance is being destroyed' },
  '6': { name: 'DESTROYED', detail: 'Lambda instance has been destroyed' },
  '7': { name: 'SCALING_UP', detail: 'Lambda instance is being scaled up' },
  '8': { name: 'SCALING_DOWN', detail: 'Lambda instance is being scaled down' },
  '9': { name: 'FAILED', detail: 'Lambda instance has failed' },
  '10': { name: 'CLUSTER_CREATED', detail: '~okeanos cluster has been successfully built' },
  '11': { name: 'CLUSTER_FAILED', detail: '~okeanos cluster build has failed' },
  '12': { name: 'INIT_DONE', detail: '~okeanos cluster has been successfully initialized' },
  '13': { name: 'INIT_FAILED', detail: '~okeanos cluster initialization has failed' },
  '14': { name: 'COMMONS_INSTALLED', detail: 'Common libraries have been successfully installed' },
  '15': { name: 'COMMONS_FAILED', detail: 'Common libraries installation has failed' },
  '16': { name: 'HADOOP_INSTALLED', detail: 'Apache Hadoop has been successfully installed and configured' },
  '17': { name: 'HADOOP_FAILED', detail: 'Apache Hadoop installation and configuration have failed' },
  '18': { name: 'KAFKA_INSTALLED', detail: 'Apache Kafka has been successfully installed and configured' },
  '19': { name: 'KAFKA_FAILED', detail: 'Apache Kafka installation and configuration have failed' },
  '20': { name: 'FLINK_INSTALLED', detail: 'Apache Flink has been successfully installed and configured' },
  '21': { name: 'FLINK_FAILED', detail: 'Apache Flink installation and configuration have failed' },
  '22': { name: 'FLUME_INSTALLED', detail: 'Apache Flume has been successfully installed and configured' },
  '23': { name: 'FLUME_FAILED', detail: 'Apache Flume installation and configuration have failed' },
} as const

export type InstanceStatusCode = keyof typeof instanceStatuses
export type InstanceStatusName = (typeof instanceStatuses)[InstanceStatusCode]['name']

export const InstanceStatus = Object.fromEntries(
  Object.entries(instanceStatuses).map(([code, { name }]) => [name, code]),
) as { readonly [N in InstanceStatusName]: InstanceStatusCode }

export const instanceStatusCodes = Object.keys(instanceStatuses) as InstanceStatusCode[]

/** The schema of a status code, in events and in the status family's bodies. */
export const InstanceStatusCode = Type.Unsafe<InstanceStatusCode>({ type: 'string', enum: instanceStatusCodes })

/** What a service VM reports after the cluster is built: the install stages and their end. */
export const installStages: ReadonlySet<InstanceStatusCode> = new Set([
  InstanceStatus.INIT_DONE, InstanceStatus.INIT_FAILED, InstanceStatus.COMMONS_INSTALLED, InstanceStatus.COMMONS_FAILED,
  InstanceStatus.HADOOP_INSTALLED, InstanceStatus.HADOOP_FAILED, InstanceStatus.KAFKA_INSTALLED, InstanceStatus.KAFKA_FAILED,
  InstanceStatus.FLINK_INSTALLED, InstanceStatus.FLINK_FAILED, InstanceStatus.FLUME_INSTALLED, InstanceStatus.FLUME_FAILED,
  InstanceStatus.STARTED,
])

/** Still being built: PENDING, or further on (a service VM may report stages before the build has seen every
 *  node up, so until the cluster is recorded these say the build may not be finished). */
export const buildingStatuses: ReadonlySet<InstanceStatusCode> = new Set([InstanceStatus.PENDING, InstanceStatus.CLUSTER_CREATED, ...installStages])

/** Asked to be destroyed, or destroyed: nothing but the destroy job acts on the instance any more. */
export const destroyStatuses: ReadonlySet<InstanceStatusCode> = new Set([InstanceStatus.DESTROYING, InstanceStatus.DESTROYED])

export function isInstanceStatusCode(value: unknown): value is InstanceStatusCode {
  return typeof value === 'string' && Object.hasOwn(instanceStatuses, value)
}

export function instanceStatusName(code: InstanceStatusCode): InstanceStatusName {
  return instanceStatuses[code].name
}

export function instanceStatusView(code: InstanceStatusCode, failureMessage: string): StatusView {
  return statusView(code, instanceStatuses[code], failureMessage)
}

/** An instance's build stage by stage, in order (what the web console draws as a progress bar): the status each
 *  stage reaches, and the one that says it failed. */
export const buildSteps: readonly { reached: InstanceStatusCode; failed?: InstanceStatusCode }[] = [
  { reached: InstanceStatus.PENDING },
  { reached: InstanceStatus.CLUSTER_CREATED, failed: InstanceStatus.CLUSTER_FAILED },
  { reached: InstanceStatus.INIT_DONE, failed: InstanceStatus.INIT_FAILED },
  { reached: InstanceStatus.COMMONS_INSTALLED, failed: InstanceStatus.COMMONS_FAILED },
  { reached: InstanceStatus.HADOOP_INSTALLED, failed: InstanceStatus.HADOOP_FAILED },
  { reached: InstanceStatus.KAFKA_INSTALLED, failed: InstanceStatus.KAFKA_FAILED },
  { reached: InstanceStatus.FLINK_INSTALLED, failed: InstanceStatus.FLINK_FAILED },
  { reached: InstanceStatus.FLUME_INSTALLED, failed: InstanceStatus.FLUME_FAILED },
  { reached: InstanceStatus.STARTED },
]
