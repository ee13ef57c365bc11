/**
 * The fixed catalogue every emulator starts with: ~okeanos-like flavors,
 * a few public images, and the public floating-IP pool network "2186".
 */
import { parseCidr, type EmulatorState, type FlavorRec, type ImageRec } from './state.js'

/** Owner of the public images (GRNET's image account on ~okeanos). */
export const IMAGE_OWNER = '25ecced9-bf53-4145-91ee-cf47377e9fb2'

/** The image the original's ~okeanos helper library defaulted to (docs/original.md "Provisioning"), plus pre-baked master/slave images. */
export const IMAGES = {
  debian: '0ad78ab6-d3cd-42c9-8922-9cf63bbb7539',
  lodMaster: '3a5e4d8f-7b2c-4e1a-9f6d-8c0b2a4e6d13',
  lodSlave: '5c7f6e0a-9d4e-4b3c-8a1f-0e2d4c6b8f35',
  ubuntu: '8f1e3b5d-2c4a-4d6e-9b8f-1a3c5e7d9b02',
} as const

export const PUBLIC_NETWORK_ID = 2186
export const PUBLIC_SUBNET_ID = 1400
export const PUBLIC_CIDR = '83.212.116.0/24'

const VCPUS = [1, 2, 4, 8]
const RAMS = [512, 1024, 2048, 4096, 6144, 8192]
const DISKS = [5, 10, 20, 40, 60, 80, 100]

export function seedFlavors(state: EmulatorState): void {
  let id = 1
  for (const vcpus of VCPUS) {
    for (const ram of RAMS) {
      for (const disk of DISKS) {
        const f: FlavorRec = {
          id: id++,
          name: `C${vcpus}R${ram}D${disk}drbd`,
          vcpus,
          ram,
          disk,
          diskTemplate: 'drbd',
          // Legacy sizes stay listed but can no longer be used for new servers.
          allowCreate: ram > 512 && disk > 5,
        }
        state.flavors.set(f.id, f)
      }
    }
  }
}

export function seedImages(state: EmulatorState, created: string): void {
  const add = (id: string, name: string, metadata: Record<string, string>) => {
    const img: ImageRec = { id, name, owner: IMAGE_OWNER, public: true, created, metadata }
    state.images.set(id, img)
  }
  add(IMAGES.debian, 'Debian Base', { os: 'debian', users: 'root', osfamily: 'linux', description: 'Debian 8.0 (Jessie) Base System' })
  add(IMAGES.lodMaster, 'Lambda master', {
    os: 'debian',
    users: 'root',
    osfamily: 'linux',
    description: 'Lambda on Demand master: Hadoop 2.7, Kafka 0.8.2, Flink 0.9.1, Flume 1.6',
  })
  add(IMAGES.lodSlave, 'Lambda slave', { os: 'debian', users: 'root', osfamily: 'linux', description: 'Lambda on Demand slave' })
  add(IMAGES.ubuntu, 'Ubuntu Server LTS', { os: 'ubuntu', users: 'user', osfamily: 'linux', description: 'Ubuntu 16.04 LTS' })
}

/** The public IPv4 network floating IPs come from; `poolSize` addresses starting at .2. */
export function seedPublicNetwork(state: EmulatorState, created: string, poolSize = 253): void {
  const cidr = parseCidr(PUBLIC_CIDR)!
  state.publicNetworkId = PUBLIC_NETWORK_ID
  state.networks.set(PUBLIC_NETWORK_ID, {
    id: PUBLIC_NETWORK_ID,
    name: 'Public IPv4 Network',
    type: 'IP_LESS_ROUTED',
    userId: null,
    projectId: null,
    public: true,
    floatingIpPool: true,
    status: 'ACTIVE',
    deleted: false,
    adminStateUp: true,
    sharedToProject: false,
    subnetIds: [PUBLIC_SUBNET_ID],
    created,
    updated: created,
  })
  state.subnets.set(PUBLIC_SUBNET_ID, {
    id: PUBLIC_SUBNET_ID,
    networkId: PUBLIC_NETWORK_ID,
    name: 'Public IPv4 Subnet',
    userId: null,
    projectId: null,
    cidr: PUBLIC_CIDR,
    gateway: '83.212.116.1',
    enableDhcp: true,
    dnsNameservers: [],
    hostRoutes: [],
    poolStart: cidr.first + 1,
    poolEnd: Math.min(cidr.last, cidr.first + poolSize),
    used: new Set([cidr.first]),
    public: true,
  })
}
