import { randomUUID } from 'node:crypto'
import type { InstanceEvent } from '../../src/instances/events.js'
import { instanceStream } from '../../src/instances/events.js'
import type { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'

// A realistic log to grow for the scale curves: instances go through the lifecycle the reactors and the service
// VMs record (requested, provisioned, the install stages, started), some are stopped and started again, some
// destroyed, a few fail. Owners are many; the measured user owns a fixed share of the instances, so that their
// own list grows with the log as well (the list's counts must not).

/** A small deterministic generator (mulberry32): the same seed makes the same log. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const spec = (name: string) => ({
  instance_name: name,
  master_name: `${name}-master`,
  project_name: 'lambda.grnet.gr',
  slaves: 2,
  vcpus_master: 4,
  vcpus_slave: 2,
  ram_master: 4096,
  ram_slave: 2048,
  disk_master: 20,
  disk_slave: 10,
  ip_allocation: 'master',
  network_request: 1,
  public_key_name: ['laptop'],
  kafka_input_topics: ['input'],
  kafka_output_topics: ['stream-output', 'batch-output'],
})

const status = (code: string, source: 'reactor' | 'service-vm' | 'user', failure_message = ''): InstanceEvent =>
  ({ type: 'InstanceStatusChanged', data: { status: code, failure_message, source } }) as InstanceEvent

/** One instance's history: 12 to 17 events, ending in a settled status (no reactor job left to resume). */
export function lifecycle(owner: string, name: string, random: () => number, serial: number): InstanceEvent[] {
  const events: InstanceEvent[] = [
    { type: 'InstanceRequested', data: { owner, owner_name: null, name, instance_info: spec(name) } },
    {
      type: 'ClusterProvisioned',
      data: {
        master: { id: 100_000 + serial * 3, name: `${name}-master` },
        slaves: [
          { id: 100_001 + serial * 3, name: 'lambda-node1' },
          { id: 100_002 + serial * 3, name: 'lambda-node2' },
        ],
        network: { id: String(3000 + serial), subnet_id: String(9000 + serial), cidr: '192.168.0.0/24', gateway: '192.168.0.1' },
        floating_ip: { id: String(600_000 + serial), address: `83.212.${(serial >> 8) & 255}.${serial & 255}` },
      },
    },
    status('10', 'reactor'),
  ]
  const roll = random()
  if (roll < 0.05) return [...events, status('13', 'service-vm', 'ssh: connection timed out')]
  for (const code of ['12', '14', '16', '18', '20', '22', '0']) events.push(status(code, 'service-vm'))
  if (roll < 0.45) return events
  events.push({ type: 'InstanceStopRequested', data: {} }, status('1', 'reactor'))
  if (roll < 0.65) return events
  events.push({ type: 'InstanceStartRequested', data: {} }, status('0', 'reactor'))
  if (roll < 0.8) return events
  events.push({ type: 'InstanceDestroyRequested', data: {} }, status('6', 'reactor'))
  return events
}

export interface Generated {
  /** Instances of the measured user, in creation order. */
  userInstances: string[]
  instances: number
}

/**
 * Appends whole lifecycles until the log holds at least `target` events. Appends go in large batches, so the
 * log's group commit writes them in few transactions.
 */
export async function growLog(
  log: SqliteEventLog,
  target: number,
  options: { user: string; userShare: number; owners: string[]; random: () => number },
  generated: Generated = { userInstances: [], instances: 0 },
): Promise<Generated> {
  const { user, userShare, owners, random } = options
  let head = log.headPositionSync()
  while (head < target) {
    const appends: Array<Promise<unknown>> = []
    let planned = head
    while (planned < target && appends.length < 2_000) {
      const id = randomUUID()
      const serial = generated.instances++
      const owner = random() < userShare ? user : owners[Math.floor(random() * owners.length)]!
      if (owner === user) generated.userInstances.push(id)
      const events = lifecycle(owner, `instance-${serial}`, random, serial)
      const actor = { actor: owner }
      appends.push(
        log.append(
          instanceStream(id),
          events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data, metadata: actor })),
          'no_stream',
        ),
      )
      planned += events.length
    }
    await Promise.all(appends)
    head = log.headPositionSync()
  }
  return generated
}
