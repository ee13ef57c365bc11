import { instanceStatusView, instanceStatuses, type InstanceStatusCode } from '../../src/instances/statuses.js'

// The JSON of the instance endpoints, rendered when an event changes it instead of on every GET: a read model
// that keeps its replies as text spares each request a JSON.parse and a JSON.stringify.

/** instance_info as the details endpoint shows it: an object, whatever form a service VM registered it in. */
export function infoObject(info: unknown): Record<string, unknown> {
  let value = info
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      return {}
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

const masterKey = '"master_node_id":'

/** Whether instance_info is an object without a master_node_id of its own: what a create stores, always. */
export function isPlainInfo(info: unknown): boolean {
  return info !== null && typeof info === 'object' && !Array.isArray(info) && !Object.hasOwn(info, 'master_node_id')
}

const withMaster = (prefix: string, object: string) => `${prefix}${object.slice(0, -1)}${object === '{}' ? '' : ','}${masterKey}`
const prefixOf = (id: string, name: string) => `{"id":${JSON.stringify(id)},"name":${JSON.stringify(name)},"instance_info":`

/**
 * The details' `info` object, `{id, name, instance_info: {...info, master_node_id}}`, up to the value of
 * master_node_id, which comes last so that the value can be appended when the read model answers. For a plain
 * instance_info this is its stored JSON with a prefix (plainInfoHead), which costs a request less than a parse.
 */
export function renderInfoHead(id: string, name: string, info: unknown): string {
  const { master_node_id: _, ...rest } = infoObject(info)
  return withMaster(prefixOf(id, name), JSON.stringify(rest))
}

/** renderInfoHead of a plain instance_info, from its stored JSON. */
export function plainInfoHead(id: string, name: string, stored: string): string {
  return withMaster(prefixOf(id, name), stored)
}

/** The whole `info` object from its rendered head and the master node's id. */
export function renderInfo(head: string, masterNodeId: number | null): string {
  return `${head}${masterNodeId === null ? 'null' : masterNodeId}}}`
}

// Without a failure message a status renders the same every time: 24 strings made once.
const plainStatus = new Map(
  Object.keys(instanceStatuses).map((code) => [code, JSON.stringify(instanceStatusView(code as InstanceStatusCode, ''))]),
)

/** A status as the API shows it: `{code, message, detail[, failure_message]}`. */
export function renderStatus(code: string, failureMessage: string): string {
  if (!failureMessage) {
    const plain = plainStatus.get(code)
    if (plain !== undefined) return plain
  }
  return JSON.stringify(instanceStatusView(code as InstanceStatusCode, failureMessage))
}
