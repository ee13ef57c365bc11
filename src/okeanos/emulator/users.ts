/**
 * Emulator users and projects: the public configuration types, the demo
 * users, and loading them into the state (each user also gets a system
 * project `system:<uuid>` whose id is the user uuid, as on Astakos).
 */
import { createHash } from 'node:crypto'
import { GENEROUS_LIMITS, GiB, SYSTEM_LIMITS, fillLimits, zeroRecord, type ResourceName } from './resources.js'
import type { EmulatorState, ProjectRec, ProjectState, UserRec } from './state.js'

export interface EmulatorProject {
  id: string
  name: string
  state?: ProjectState
  /** Member limits ("limit" in /quotas); missing resources get generous defaults. ram/disk in bytes. */
  limits?: Partial<Record<ResourceName, number>>
  /** Project-wide limits ("project_limit"); a resource not given follows its member limit. */
  projectLimits?: Partial<Record<ResourceName, number>>
  /** Usage by other (unmodelled) members, counted in project_usage. */
  otherMembersUsage?: Partial<Record<ResourceName, number>>
}

export interface EmulatorUser {
  token: string
  id: string
  name: string
  email?: string
  /** An expired token authenticates with 401 "Authentication expired". */
  expired?: boolean
  projects?: EmulatorProject[]
  sshKeys?: { name: string; content: string }[]
}

/** The project both demo users are members of. */
export const DEMO_PROJECT_ID = '6ff62e8e-0ce9-41f7-ad99-13a18ecada5f'
export const DEMO_PROJECT_NAME = 'lambda.grnet.gr'
/** A second, tight project (bob only) for quota-failure demos. */
export const TINY_PROJECT_ID = '4c1d0b53-9ae4-4f6e-8d2b-7a5e3c9f1b20'

const demoProject = (): EmulatorProject => ({
  id: DEMO_PROJECT_ID,
  name: DEMO_PROJECT_NAME,
  state: 'active',
  limits: { ...GENEROUS_LIMITS },
  projectLimits: Object.fromEntries(Object.entries(GENEROUS_LIMITS).map(([k, v]) => [k, v * 2])),
})

/**
 * Two demo users with fixed tokens and uuids (documented in the report and in
 * `lod emulator` output). Their tokens look like ~okeanos tokens but are fake.
 *
 * - alice: token `Vq0aXaY3oUPG1NpHc9QiJxW5gd7TLk2mBe8Rs4nZuFo`, uuid `a1c3f0e2-4b5d-4e6f-8a7b-9c0d1e2f3a4b`,
 *   project lambda.grnet.gr, two SSH keys.
 * - bob:   token `kT7wR2pYc5LxN9vQ3bH8mJ4sD6fG1zA0uE5iO2yWlXc`, uuid `b2d4e6f8-1a3c-4e5f-9b7d-0c2e4f6a8b1d`,
 *   projects lambda.grnet.gr and tiny.grnet.gr (1 VM, 2 CPUs, 2 GiB, 20 GiB, 1 IP, 1 network), one SSH key.
 */
export function demoUsers(): EmulatorUser[] {
  return [
    {
      token: 'Vq0aXaY3oUPG1NpHc9QiJxW5gd7TLk2mBe8Rs4nZuFo',
      id: 'a1c3f0e2-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
      name: 'Alice Papadopoulou',
      email: 'alice@example.grnet.gr',
      projects: [demoProject()],
      sshKeys: [
        { name: 'alice-laptop', content: demoKey('alice-laptop') },
        { name: 'alice-desktop', content: demoKey('alice-desktop') },
      ],
    },
    {
      token: 'kT7wR2pYc5LxN9vQ3bH8mJ4sD6fG1zA0uE5iO2yWlXc',
      id: 'b2d4e6f8-1a3c-4e5f-9b7d-0c2e4f6a8b1d',
      name: 'Bob Georgiou',
      email: 'bob@example.grnet.gr',
      projects: [
        demoProject(),
        {
          id: TINY_PROJECT_ID,
          name: 'tiny.grnet.gr',
          state: 'active',
          limits: {
            'cyclades.vm': 1,
            'cyclades.cpu': 2,
            'cyclades.ram': 2 * GiB,
            'cyclades.disk': 20 * GiB,
            'cyclades.floating_ip': 1,
            'cyclades.network.private': 1,
            'pithos.diskspace': 5 * GiB,
          },
        },
      ],
      sshKeys: [{ name: 'bob-key', content: demoKey('bob-key') }],
    },
  ]
}

/** A syntactically valid (not usable) ssh-rsa public key, fixed per name. */
function demoKey(comment: string): string {
  const blob: Buffer[] = []
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    blob.push(len, b)
  }
  str(Buffer.from('ssh-rsa'))
  str(Buffer.from([1, 0, 1]))
  // 257 bytes of deterministic "modulus".
  let seed = createHash('sha512').update(comment).digest()
  const modulus: Buffer[] = [Buffer.from([0])]
  while (Buffer.concat(modulus).length < 257) {
    modulus.push(seed)
    seed = createHash('sha512').update(seed).digest()
  }
  str(Buffer.concat(modulus).subarray(0, 257))
  return `ssh-rsa ${Buffer.concat(blob).toString('base64')} ${comment}`
}

/** The MD5 colon fingerprint ~okeanos shows for a public key. */
export function keyFingerprint(content: string): string {
  const b64 = content.trim().split(/\s+/)[1] ?? ''
  const hex = createHash('md5').update(Buffer.from(b64, 'base64')).digest('hex')
  return hex.match(/../g)!.join(':')
}

export function systemProject(user: { id: string }, created: string): ProjectRec {
  return {
    id: user.id,
    name: `system:${user.id}`,
    state: 'active',
    owner: user.id,
    system: true,
    created,
    endDate: '2099-12-31T00:00:00+00:00',
    memberLimits: { ...SYSTEM_LIMITS },
    projectLimitOverrides: {},
    otherUsage: zeroRecord(),
  }
}

/** Add (or replace) a user and the projects it names. A project defined twice keeps its first definition. */
export function loadUser(state: EmulatorState, u: EmulatorUser, created: string): UserRec {
  if (!state.projects.has(u.id)) state.projects.set(u.id, systemProject(u, created))
  const projectIds = [u.id]
  for (const p of u.projects ?? []) {
    if (!state.projects.has(p.id)) state.projects.set(p.id, projectFrom(p, u.id, created))
    if (!projectIds.includes(p.id)) projectIds.push(p.id)
  }
  const rec: UserRec = {
    token: u.token,
    id: u.id,
    name: u.name,
    email: u.email ?? `${u.id}@example.org`,
    expired: u.expired ?? false,
    projects: projectIds,
    sshKeys: (u.sshKeys ?? []).map((k) => ({ id: state.counters.key++, name: k.name, content: k.content })),
  }
  state.users.set(u.id, rec)
  return rec
}

export function projectFrom(p: EmulatorProject, owner: string, created: string): ProjectRec {
  const memberLimits = fillLimits(p.limits, GENEROUS_LIMITS)
  return {
    id: p.id,
    name: p.name,
    state: p.state ?? 'active',
    owner,
    system: false,
    created,
    endDate: '2099-12-31T00:00:00+00:00',
    memberLimits,
    projectLimitOverrides: { ...(p.projectLimits ?? {}) },
    otherUsage: fillLimits(p.otherMembersUsage, zeroRecord()),
  }
}
