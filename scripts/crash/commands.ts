import type { seeded } from '../bench-scale/generate.js'

// The commands of the crash test: what the load generator sends, each with an Idempotency-Key of its own, and
// the event it appends when it is accepted. A command keeps its key and body across retries.

export type CommandKind = 'create' | 'status' | 'action' | 'destroy'

export interface Command {
  key: string
  kind: CommandKind
  method: 'POST' | 'DELETE'
  /** The path, once the instance it acts on is known (creates know theirs at once). */
  path: string
  body?: unknown
  /** The one event an accepted command appends. */
  event: string
}

const createBody = {
  project_name: 'lambda.grnet.gr', master_name: 'crash-master', slaves: 1,
  vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10,
}
// Statuses a service VM may report: others (DESTROYING, DESTROYED) are the reactors' to set.
const statuses = ['0', '1', '3', '4', '7', '8', '9', '10', '12', '14', '16', '18', '20', '22']

/** The next command: creates while there are few instances, then mostly updates, some actions, few destroys. */
export function nextCommand(serial: number, instances: readonly string[], random: ReturnType<typeof seeded>): Command {
  const key = `crash-${serial}`
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const roll = random()
  if (instances.length < 3 || roll < 0.25)
    return {
      key, kind: 'create', method: 'POST', path: '/api/lambda-instance/',
      body: { ...createBody, instance_name: `crash-${serial}` }, event: 'InstanceRequested',
    }
  const id = pick(instances)
  if (roll < 0.8)
    return {
      key, kind: 'status', method: 'POST', path: `/api/lambda_instances/${id}/status/`,
      body: { status: pick(statuses), failure_message: '' }, event: 'InstanceStatusChanged',
    }
  if (roll < 0.95) {
    const action = pick(['start', 'stop'] as const)
    return {
      key, kind: 'action', method: 'POST', path: `/api/lambda-instances/${id}/`,
      body: { action }, event: action === 'start' ? 'InstanceStartRequested' : 'InstanceStopRequested',
    }
  }
  return { key, kind: 'destroy', method: 'DELETE', path: `/api/lambda-instances/${id}/`, event: 'InstanceDestroyRequested' }
}
