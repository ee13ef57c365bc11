import type { ClusterResource, InstanceSpec } from '../events.js'
import type { Provisioning } from '../decider.js'
import { buildingStatuses } from '../statuses.js'
import { isOkeanosError, projectAvailability, type Okeanos, type PersonalityFile, type Server } from '../../okeanos/index.js'
import { failureMessage, JobFailed, sleep } from '../../platform/jobs/context.js'
import type { InstanceJob } from './context.js'
import { quotaShortfall } from './quota.js'
import { generateClusterKeyPair } from './ssh-key.js'

// Builds a lambda instance's cluster on ~okeanos (docs/original.md "Provisioning"): quota check, private
// network and subnet, a public IP, the master and the slaves, then waits for them to be ACTIVE.
//
// Every resource is recorded in the instance's stream as soon as it exists, and looked up (by name or by
// the metadata we tag servers with) before it is created, so a job resumed after a crash carries on from
// where it stopped and never creates a second master, network or IP.

/** The file the master's service VM reads to report its install stages back to us. */
export const serviceVmFile = '/etc/lod/service-vm.json'

const networkName = (instanceId: string) => `lambda-vpn-${instanceId}`

/** The emulator and ~okeanos take each owner's floating IPs from one pool: one job at a time per owner (in this
 *  process) picks a free IP and attaches it to its master, so two clusters never grab the same one (the original's
 *  PR #244); a job of another process that grabs it first makes ~okeanos refuse the second master, which then
 *  takes another. */
const ownerLocks = new Map<string, Promise<void>>()
async function withOwnerLock<T>(owner: string, fn: () => Promise<T>): Promise<T> {
  const previous = ownerLocks.get(owner) ?? Promise.resolve()
  let release!: () => void
  const current = new Promise<void>((resolve) => (release = resolve))
  const chained = previous.then(() => current)
  ownerLocks.set(owner, chained)
  await previous
  try {
    return await fn()
  } finally {
    release()
    if (ownerLocks.get(owner) === chained) ownerLocks.delete(owner)
  }
}

/** A root-only file the master's image writes on its first boot. */
export const personalityFile = (path: string, contents: string): PersonalityFile => ({
  path,
  contents: Buffer.from(contents).toString('base64'),
  owner: 'root',
  group: 'root',
  mode: 0o600,
})

async function flavorIds(job: InstanceJob, ok: Okeanos, spec: InstanceSpec) {
  const [master, slave] = await Promise.all([
    job.call(() => ok.compute.findFlavor(spec.vcpus_master, spec.ram_master, spec.disk_master)),
    job.call(() => ok.compute.findFlavor(spec.vcpus_slave, spec.ram_slave, spec.disk_slave)),
  ])
  if (!master || !slave) throw new JobFailed('This flavor does not allow create.')
  return { master: master.id, slave: slave.id }
}

/** The checks the original made before touching anything; passing them starts the provisioning record. */
async function checkAndStart(job: InstanceJob, ok: Okeanos, spec: InstanceSpec): Promise<void> {
  if (spec.slaves < 0) throw new JobFailed('The number of slaves cannot be negative.')
  const project = await job.call(() => ok.account.findProjectByName(spec.project_name))
  if (!project || project.state !== 'active') throw new JobFailed(`~okeanos project ${spec.project_name} is not available to you.`)
  const [quotas, freeIps] = await Promise.all([job.call(() => ok.account.getQuotas()), job.call(() => ok.network.freeFloatingIps())])
  const available = projectAvailability(quotas, project.id)
  if (!available) throw new JobFailed(`No quota in ~okeanos project ${spec.project_name}.`)
  const shortfall = quotaShortfall(available, freeIps.length, spec)
  if (shortfall) throw new JobFailed(shortfall)
  await flavorIds(job, ok, spec)
  await job.record({ type: 'StartProvisioning', id: job.instanceId, actor: { kind: 'reactor', name: job.reactor }, projectId: project.id })
}

function recordResource(job: InstanceJob, resource: ClusterResource): Promise<void> {
  return job.record({ type: 'RecordClusterResource', id: job.instanceId, actor: { kind: 'reactor', name: job.reactor }, resource })
}

async function ensureNetwork(job: InstanceJob, ok: Okeanos, p: Provisioning): Promise<void> {
  if (!p.network) {
    const name = networkName(job.instanceId)
    const network = await job.ensure(
      async () => (await ok.network.listNetworks()).find((n) => n.name === name && !n.deleted),
      () => ok.network.createNetwork({ name, type: 'MAC_FILTERED', project: p.projectId, admin_state_up: true }),
    )
    await recordResource(job, { kind: 'network', id: network.id, name })
    p = { ...p, network: network.id }
  }
  if (!p.subnet) {
    const network = p.network!
    const subnet = await job.ensure(
      async () => (await ok.network.getNetwork(network)).subnets[0],
      async () =>
        (await ok.network.createSubnet({ network_id: network, cidr: '192.168.0.0/24', ip_version: 4, gateway_ip: '192.168.0.1', enable_dhcp: true })).id,
    )
    await recordResource(job, { kind: 'subnet', id: subnet })
  }
}

/** Our servers carry the instance id and their role in their metadata, so they can be found again. */
function ours(servers: Server[], instanceId: string, role: string): Server | undefined {
  return servers.find((s) => !s.deleted && s.metadata?.lod_instance === instanceId && s.metadata?.lod_role === role)
}

/** The master's public IP: the one recorded, or else a free one of the user's (so one whose creation we lost track
 *  of is reused, not leaked) or a new one, recorded before the master is made with it. */
async function publicIp(job: InstanceJob, ok: Okeanos, projectId: string, recorded: Provisioning['floatingIp']): Promise<{ address: string; network: string }> {
  if (recorded) return { address: recorded.address, network: (await job.call(() => ok.network.getFloatingIp(recorded.id))).floating_network_id }
  const ip = await job.ensure(
    async () => (await ok.network.freeFloatingIps())[0],
    () => ok.network.createFloatingIp({ project: projectId }),
  )
  await recordResource(job, { kind: 'floating-ip', id: ip.id, address: ip.floating_ip_address })
  return { address: ip.floating_ip_address, network: ip.floating_network_id }
}

async function ensureServers(job: InstanceJob, ok: Okeanos, spec: InstanceSpec, owner: string): Promise<void> {
  const flavors = await flavorIds(job, ok, spec)
  const settings = job.settings
  const keys = job.deps.secrets
  const privateKey = await keys.get(job.instanceId, 'ssh-private-key')
  const pair = privateKey
    ? { privateKey, publicKey: (await keys.get(job.instanceId, 'ssh-public-key'))! }
    : await (async () => {
        const generated = generateClusterKeyPair()
        // First writer wins: a resumed job gets back the pair the first attempt stored.
        return {
          publicKey: await keys.put(job.instanceId, 'ssh-public-key', generated.publicKey),
          privateKey: await keys.put(job.instanceId, 'ssh-private-key', generated.privateKey),
        }
      })()
  const userKeys = (await job.call(() => ok.compute.listUserKeys()))
    .filter((key) => spec.public_key_name.includes(key.name))
    .map((key) => key.content.trim())
  const authorizedKeys = personalityFile('/root/.ssh/authorized_keys', [...userKeys, pair.publicKey].join('\n') + '\n')
  const tagged = async (role: string) => ours(await ok.compute.listServers(), job.instanceId, role)

  await withOwnerLock(owner, async () => {
    const p = (await job.notDestroyed()).provisioning!
    if (p.master) return
    const found = await job.call(() => tagged('master'))
    if (found) {
      await recordResource(job, { kind: 'server', id: String(found.id), name: found.name, role: 'master' })
      if (!p.floatingIp) {
        const ip = (await job.call(() => ok.network.listFloatingIps())).find((i) => i.instance_id === String(found.id))
        if (ip) await recordResource(job, { kind: 'floating-ip', id: ip.id, address: ip.floating_ip_address })
      }
      return
    }
    const serviceVm = { instance_id: job.instanceId, status_url: `${settings.publicUrl}/api/lambda_instances/${job.instanceId}/status/`, token: await keys.instanceToken(job.instanceId) }
    let recorded = p.floatingIp
    for (let attempt = 1; ; attempt++) {
      const ip = await publicIp(job, ok, p.projectId, recorded)
      try {
        const master = await job.ensure(
          () => tagged('master'),
          () => ok.compute.createServer({
            name: spec.master_name,
            flavorRef: flavors.master,
            imageRef: settings.masterImageId,
            project: p.projectId,
            networks: [{ uuid: ip.network, fixed_ip: ip.address }, { uuid: p.network! }],
            personality: [
              authorizedKeys,
              personalityFile('/root/.ssh/id_rsa.pub', pair.publicKey + '\n'),
              personalityFile('/root/.ssh/id_rsa', pair.privateKey),
              personalityFile(serviceVmFile, JSON.stringify(serviceVm)),
            ],
            metadata: { lod_instance: job.instanceId, lod_role: 'master' },
          }),
        )
        await recordResource(job, { kind: 'server', id: String(master.id), name: master.name, role: 'master' })
        return
      } catch (error) {
        // A build in another process (those of this one take IPs one owner at a time) attached it first: the
        // master takes another, recorded in its place.
        if (!isOkeanosError(error) || error.status !== 409 || !/already in use/.test(error.okeanosMessage) || attempt >= settings.attempts) throw error
        recorded = undefined
      }
    }
  })

  for (let index = 1; index <= spec.slaves; index++) {
    const p = (await job.notDestroyed()).provisioning!
    const name = `lambda-node${index}`
    if (p.slaves.some((s) => s.name === name)) continue
    const role = `slave-${index}`
    const slave = await job.ensure(
      () => tagged(role),
      () =>
        ok.compute.createServer({
          name,
          flavorRef: flavors.slave,
          imageRef: settings.slaveImageId,
          project: p.projectId,
          networks: [{ uuid: p.network! }],
          personality: [authorizedKeys],
          metadata: { lod_instance: job.instanceId, lod_role: role },
        }),
    )
    await recordResource(job, { kind: 'server', id: String(slave.id), name, role: 'slave' })
  }
}

/** Polls until every server is ACTIVE; a server in ERROR, or the deadline, fails the build. */
async function waitForCluster(job: InstanceJob, ok: Okeanos, servers: Array<{ id: number; name: string }>): Promise<void> {
  const deadline = Date.now() + job.settings.buildTimeoutMs
  const pending = new Map(servers.map((s) => [s.id, s.name]))
  while (pending.size > 0) {
    await job.notDestroyed()
    for (const [id, name] of [...pending]) {
      const server = await job.call(() => ok.compute.getServer(id))
      if (server.status === 'ACTIVE') pending.delete(id)
      else if (server.status === 'ERROR') throw new JobFailed(`~okeanos server ${name} (${id}) failed to build.`)
    }
    if (pending.size === 0) break
    if (Date.now() > deadline)
      throw new JobFailed(`~okeanos servers ${[...pending.values()].join(', ')} did not become ACTIVE within ${job.settings.buildTimeoutMs / 1000} s.`)
    await sleep(job.settings.pollIntervalMs)
  }
}

export async function provision(job: InstanceJob): Promise<void> {
  const instance = await job.notDestroyed()
  // A record a service VM registered, a cluster already built, or a build that failed: nothing to do.
  if (!instance.spec || instance.cluster || !buildingStatuses.has(instance.status)) return
  const spec = instance.spec
  try {
    const ok = await job.okeanos()
    if (!instance.provisioning) await checkAndStart(job, ok, spec)
    await ensureNetwork(job, ok, (await job.notDestroyed()).provisioning!)
    await ensureServers(job, ok, spec, instance.owner)
    const p = (await job.notDestroyed()).provisioning!
    await waitForCluster(job, ok, [p.master!, ...p.slaves])
    const network = await job.call(() => ok.network.getSubnet(p.subnet!))
    await job.record({
      type: 'CompleteProvisioning',
      id: job.instanceId,
      actor: { kind: 'reactor', name: job.reactor },
      cluster: {
        master: p.master!,
        slaves: [...p.slaves].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })),
        network: { id: p.network!, subnet_id: p.subnet!, cidr: network.cidr, gateway: network.gateway_ip ?? '' },
        floating_ip: p.floatingIp!,
      },
    })
  } catch (error) {
    if (error instanceof JobFailed || isOkeanosError(error)) throw new ProvisioningFailed(error)
    throw error
  }
}

/** A failure of the build itself: it ends in CLUSTER_FAILED, as in the original, rather than FAILED. */
export class ProvisioningFailed extends Error {
  constructor(cause: unknown) {
    super(failureMessage(cause))
  }
}
