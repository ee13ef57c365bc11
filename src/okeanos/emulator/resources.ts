/** Astakos resources the emulator knows (Synnefo's Astakos quotas). ram/disk/diskspace are in bytes. */
export const RESOURCES = [
  'cyclades.vm',
  'cyclades.cpu',
  'cyclades.ram',
  'cyclades.disk',
  'cyclades.floating_ip',
  'cyclades.network.private',
  'pithos.diskspace',
  'astakos.pending_app',
  // Hidden (api_visible false) but enforced: they count all servers, running or not.
  'cyclades.total_cpu',
  'cyclades.total_ram',
] as const

export type ResourceName = (typeof RESOURCES)[number]

export const HIDDEN_RESOURCES: ReadonlySet<ResourceName> = new Set(['cyclades.total_cpu', 'cyclades.total_ram'])

/** Names astakosclient's render_overlimit_exception puts in the 413 details; others appear raw. */
export const DISPLAY_NAMES: Partial<Record<ResourceName, string>> = {
  'cyclades.vm': 'Virtual Machine',
  'cyclades.cpu': 'CPU',
  'cyclades.ram': 'RAM',
  'cyclades.disk': 'Disk',
  'cyclades.floating_ip': 'Floating IP address',
  'cyclades.network.private': 'Private Network',
  'pithos.diskspace': 'Storage space',
}

export const DESCRIPTIONS: Record<ResourceName, { unit: string | null; description: string; service: string }> = {
  'cyclades.vm': { unit: null, description: 'Number of virtual machines', service: 'cyclades_compute' },
  'cyclades.cpu': { unit: null, description: 'Number of virtual machine processors', service: 'cyclades_compute' },
  'cyclades.ram': { unit: 'bytes', description: 'Virtual machine memory size', service: 'cyclades_compute' },
  'cyclades.disk': { unit: 'bytes', description: 'Virtual machine disk size', service: 'cyclades_compute' },
  'cyclades.floating_ip': { unit: null, description: 'Number of Floating IP addresses', service: 'cyclades_network' },
  'cyclades.network.private': { unit: null, description: 'Number of private networks', service: 'cyclades_network' },
  'pithos.diskspace': { unit: 'bytes', description: 'Pithos account diskspace', service: 'pithos_object-store' },
  'astakos.pending_app': { unit: null, description: 'Number of pending project applications', service: 'astakos_account' },
  'cyclades.total_cpu': { unit: null, description: 'Number of virtual machine processors (all)', service: 'cyclades_compute' },
  'cyclades.total_ram': { unit: 'bytes', description: 'Virtual machine memory size (all)', service: 'cyclades_compute' },
}

export const MiB = 2 ** 20
export const GiB = 2 ** 30

export function zeroRecord(): Record<ResourceName, number> {
  return Object.fromEntries(RESOURCES.map((r) => [r, 0])) as Record<ResourceName, number>
}

/** Hidden totals default to "no limit" unless a test sets them. */
const UNLIMITED = Number.MAX_SAFE_INTEGER

export function fillLimits(partial: Partial<Record<ResourceName, number>> | undefined, base: Record<ResourceName, number>): Record<ResourceName, number> {
  const out = { ...base }
  for (const [k, v] of Object.entries(partial ?? {})) if (typeof v === 'number' && (RESOURCES as readonly string[]).includes(k)) out[k as ResourceName] = v
  return out
}

/** Generous limits for demo projects. */
export const GENEROUS_LIMITS: Record<ResourceName, number> = {
  'cyclades.vm': 20,
  'cyclades.cpu': 64,
  'cyclades.ram': 128 * GiB,
  'cyclades.disk': 1000 * GiB,
  'cyclades.floating_ip': 10,
  'cyclades.network.private': 10,
  'pithos.diskspace': 200 * GiB,
  'astakos.pending_app': 2,
  'cyclades.total_cpu': UNLIMITED,
  'cyclades.total_ram': UNLIMITED,
}

/** The small default quota of a user's system project. */
export const SYSTEM_LIMITS: Record<ResourceName, number> = {
  'cyclades.vm': 2,
  'cyclades.cpu': 8,
  'cyclades.ram': 8 * GiB,
  'cyclades.disk': 80 * GiB,
  'cyclades.floating_ip': 1,
  'cyclades.network.private': 2,
  'pithos.diskspace': 50 * GiB,
  'astakos.pending_app': 0,
  'cyclades.total_cpu': UNLIMITED,
  'cyclades.total_ram': UNLIMITED,
}
