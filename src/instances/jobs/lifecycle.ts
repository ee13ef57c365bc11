import { InstanceStatus } from '../statuses.js'
import { isNotFound, isOkeanosError, type Okeanos, type ServerStatus } from '../../okeanos/index.js'
import { JobFailed, sleep } from '../../platform/jobs/context.js'
import type { InstanceJob } from './context.js'

// Start, stop and destroy a built cluster (docs/original.md "Start and stop", "Destroy"). Each job ends in the
// status the original reached (STARTED, STOPPED, DESTROYED), or in FAILED with ~okeanos's message.

type Node = { id: number; name: string }

async function waitFor(job: InstanceJob, ok: Okeanos, node: Node, status: ServerStatus): Promise<void> {
  const deadline = Date.now() + job.settings.buildTimeoutMs
  for (;;) {
    const server = await job.call(() => ok.compute.getServer(node.id))
    if (server.status === status && !server['SNF:task_state']) return
    // A server being deleted may sit in ERROR until it is gone; on the way up, ERROR or DELETED is the end.
    if (status !== 'DELETED' && (server.status === 'ERROR' || server.status === 'DELETED')) throw new JobFailed(`~okeanos server ${node.name} (${node.id}) is ${server.status}.`)
    if (Date.now() > deadline) throw new JobFailed(`~okeanos server ${node.name} (${node.id}) did not become ${status} within ${job.settings.buildTimeoutMs / 1000} s.`)
    await sleep(job.settings.pollIntervalMs)
  }
}

/** Starts a node unless it runs already, and waits until it does. */
async function startNode(job: InstanceJob, ok: Okeanos, node: Node): Promise<void> {
  const server = await job.call(() => ok.compute.getServer(node.id))
  if (server.status === 'STOPPED' && !server['SNF:task_state']) await job.call(() => ok.compute.startServer(node.id))
  await waitFor(job, ok, node, 'ACTIVE')
}

async function stopNode(job: InstanceJob, ok: Okeanos, node: Node): Promise<void> {
  const server = await job.call(() => ok.compute.getServer(node.id))
  if (server.status === 'ACTIVE' && !server['SNF:task_state']) await job.call(() => ok.compute.shutdownServer(node.id))
  await waitFor(job, ok, node, 'STOPPED')
}

/** Slaves first: the master starts the services, which need their nodes up. */
export async function start(job: InstanceJob): Promise<void> {
  const { cluster } = await job.stillIn(InstanceStatus.STARTING)
  if (cluster) {
    const ok = await job.okeanos()
    for (const slave of cluster.slaves) await startNode(job, ok, slave)
    await startNode(job, ok, cluster.master)
  }
  await job.stillIn(InstanceStatus.STARTING)
  await job.setStatus(InstanceStatus.STARTED)
}

/** Master first, so the services stop before their nodes. */
export async function stop(job: InstanceJob): Promise<void> {
  const { cluster } = await job.stillIn(InstanceStatus.STOPPING)
  if (cluster) {
    const ok = await job.okeanos()
    await stopNode(job, ok, cluster.master)
    for (const slave of cluster.slaves) await stopNode(job, ok, slave)
  }
  await job.stillIn(InstanceStatus.STOPPING)
  await job.setStatus(InstanceStatus.STOPPED)
}

/** A DELETE of something already gone is done. */
async function gone(job: InstanceJob, remove: () => Promise<void>): Promise<void> {
  try {
    await job.call(remove)
  } catch (error) {
    if (isNotFound(error) || (isOkeanosError(error) && /has been deleted/.test(error.okeanosMessage))) return
    throw error
  }
}

/** Repeats a DELETE that ~okeanos refuses with 409 while something still hangs on the resource. */
async function whenFree(job: InstanceJob, what: string, remove: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + job.settings.buildTimeoutMs
  for (;;) {
    try {
      return await gone(job, remove)
    } catch (error) {
      if (!isOkeanosError(error) || error.status !== 409) throw error
      if (Date.now() > deadline) throw new JobFailed(`${what} is still in use: ${error.okeanosMessage}`)
      job.notStopping()
      await sleep(job.settings.pollIntervalMs)
    }
  }
}

/** Removes everything the instance has on ~okeanos, whatever state provisioning reached: servers (found by
 *  the record and by their tags, so even one whose creation was never recorded), the public IP, the network. */
export async function destroy(job: InstanceJob): Promise<void> {
  const instance = await job.stillIn(InstanceStatus.DESTROYING)
  const p = instance.provisioning
  if (p || instance.cluster) {
    const ok = await job.okeanos()
    const recorded = [p?.master, ...(p?.slaves ?? [])].filter((s): s is Node => s !== undefined)
    const tagged = (await job.call(() => ok.compute.listServers())).filter((s) => s.metadata?.lod_instance === job.instanceId)
    const servers = new Map<number, Node>([...recorded, ...tagged].map((s) => [s.id, { id: s.id, name: s.name }]))
    for (const server of servers.values()) await gone(job, () => ok.compute.deleteServer(server.id))
    for (const server of servers.values()) {
      try {
        await waitFor(job, ok, server, 'DELETED')
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    }
    const floatingIp = p?.floatingIp?.id ?? instance.cluster?.floating_ip.id
    if (floatingIp) await whenFree(job, 'The public IP', () => ok.network.deleteFloatingIp(floatingIp))
    const byName = (await job.call(() => ok.network.listNetworks())).find((n) => n.name === `lambda-vpn-${job.instanceId}` && !n.deleted)
    const network = p?.network ?? instance.cluster?.network.id ?? byName?.id
    if (network) await whenFree(job, 'The private network', () => ok.network.deleteNetwork(network))
  }
  await job.setStatus(InstanceStatus.DESTROYED)
}
