import type { InstanceSpec } from '../events.js'

// The original's client-side quota check before building a cluster (docs/original.md "Provisioning"): the first shortfall, in
// the original's order and words, which become the CLUSTER_FAILED failure message.

export interface Availability {
  vms: number
  cpus: number
  ramMiB: number
  diskGiB: number
  floatingIps: number
  privateNetworks: number
}

/** `freeIps`: floating IPs the user holds but has attached nowhere; the cluster can take one of them. */
export function quotaShortfall(available: Availability, freeIps: number, spec: InstanceSpec): string | undefined {
  const slaves = Math.max(0, spec.slaves)
  if (available.vms < slaves + 1) return 'Cyclades VMs out of limit'
  if (available.cpus < slaves * spec.vcpus_slave + spec.vcpus_master) return 'Cyclades cpu out of limit'
  if (available.ramMiB < slaves * spec.ram_slave + spec.ram_master) return 'Cyclades ram out of limit'
  if (available.diskGiB < slaves * spec.disk_slave + spec.disk_master) return 'Cyclades disk out of limit'
  const ipsNeeded = spec.ip_allocation === 'all' ? slaves + 1 : 1
  if (available.floatingIps + freeIps < ipsNeeded) return 'authorized IPs out of limit'
  if (available.privateNetworks < spec.network_request) return 'Private Network out of limit'
  return undefined
}
