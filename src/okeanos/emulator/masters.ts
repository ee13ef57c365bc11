/**
 * The emulator's master VMs as SSH sees them: which ACTIVE server a key opens, each server's VM state
 * (created on first use from its personality, reset when the server boots again, freed when it is
 * deleted), injected command failures, and the log of every command run.
 *
 * A key opens a server whose /root/.ssh/authorized_keys personality lists it, as sshd would. Slaves get
 * the same file (provisioning.ts), so a server tagged lod_role=master wins over the others; if that
 * still leaves more than one (a user key shared by two clusters), the key is refused: one port serves
 * every VM, so the key is the only way to tell them apart.
 */
import ssh2 from 'ssh2'
import { apiStatus } from './compute.js'
import type { BlobStore } from './blobs.js'
import { MasterVm, type VmFileInfo } from './master-vm.js'
import type { EmulatorState, ServerRec } from './state.js'

export const AUTHORIZED_KEYS = '/root/.ssh/authorized_keys'

export interface SshFailureSpec {
  /** Regex (a string is its source) tested against the whole command line. */
  pattern: RegExp | string
  /** How many matching commands fail (default 1; 0 or negative = until cleared). */
  times?: number
  /** Default 1. */
  exitCode?: number
  /** Default "emulator: injected failure\n". */
  stderr?: string
  /** Only on this server. */
  serverId?: number
}

interface FailureRule {
  id: number
  pattern: RegExp
  remaining: number
  exitCode: number
  stderr: string
  serverId: number | undefined
}

export interface SshCommandRecord {
  seq: number
  at: string
  serverId: number
  command: string
  /** null when the client went away during the upload. */
  exitCode: number | null
  /** The failure rule that answered instead of the VM. */
  injected?: number
}

export class MasterVms {
  private readonly vms = new Map<number, MasterVm>()
  private rules: FailureRule[] = []
  private nextRule = 1
  private seq = 0
  readonly log: SshCommandRecord[] = []

  constructor(
    private readonly state: EmulatorState,
    private readonly blobs: BlobStore,
  ) {}

  /** The ACTIVE server this public key (SSH wire format) opens, with the key to verify signatures. */
  serverForKey(keyData: Buffer): { serverId: number; key: ssh2.ParsedKey } | undefined {
    const matches: { server: ServerRec; key: ssh2.ParsedKey }[] = []
    for (const server of this.state.servers.values()) {
      if (apiStatus(server) !== 'ACTIVE') continue
      const key = authorizedKeys(server).find((k) => k.getPublicSSH().equals(keyData))
      if (key) matches.push({ server, key })
    }
    const masters = matches.filter((m) => m.server.metadata.lod_role === 'master')
    const pick = masters.length > 0 ? masters : matches
    if (pick.length !== 1) return undefined
    return { serverId: pick[0]!.server.id, key: pick[0]!.key }
  }

  /** True while SSH may talk to the server (it went down or away otherwise). */
  reachable(serverId: number): boolean {
    const s = this.state.servers.get(serverId)
    return s !== undefined && apiStatus(s) === 'ACTIVE'
  }

  /** The VM state of an existing server, brought up to date with its boots. */
  vm(serverId: number): MasterVm {
    const server = this.state.servers.get(serverId)
    if (!server || server.deleted) throw new Error(`No server ${serverId}`)
    let vm = this.vms.get(serverId)
    if (!vm) this.vms.set(serverId, (vm = new MasterVm(serverId, server.personality, server.boots)))
    else if (vm.boots !== server.boots) vm.reboot(server.boots)
    return vm
  }

  files(serverId: number): VmFileInfo[] {
    return this.vm(serverId).fileInfo()
  }

  jobs(serverId: number): ReturnType<MasterVm['jobsInfo']> {
    return this.vm(serverId).jobsInfo()
  }

  /** The server was deleted: its disk goes with it. */
  forget(serverId: number): void {
    const vm = this.vms.get(serverId)
    if (!vm) return
    for (const b of vm.blobs()) this.blobs.remove(b)
    this.vms.delete(serverId)
  }

  addFailure(spec: SshFailureSpec): number {
    const times = spec.times ?? 1
    const rule: FailureRule = {
      id: this.nextRule++,
      pattern: typeof spec.pattern === 'string' ? new RegExp(spec.pattern) : spec.pattern,
      remaining: times > 0 ? times : Infinity,
      exitCode: spec.exitCode ?? 1,
      stderr: spec.stderr ?? 'emulator: injected failure\n',
      serverId: spec.serverId,
    }
    this.rules.push(rule)
    return rule.id
  }

  /** The first failure rule matching this command, consuming one use of it. */
  takeFailure(serverId: number, command: string): FailureRule | undefined {
    const i = this.rules.findIndex((r) => (r.serverId === undefined || r.serverId === serverId) && r.pattern.test(command))
    if (i < 0) return undefined
    const rule = this.rules[i]!
    if (--rule.remaining <= 0) this.rules.splice(i, 1)
    return rule
  }

  failures() {
    return this.rules.map((r) => ({
      id: r.id,
      pattern: r.pattern.source,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      exitCode: r.exitCode,
      serverId: r.serverId ?? null,
    }))
  }

  clearFailures(): void {
    this.rules = []
  }

  record(entry: Omit<SshCommandRecord, 'seq' | 'at'>): void {
    this.log.push({ seq: ++this.seq, at: new Date().toISOString(), ...entry })
    if (this.log.length > 5000) this.log.splice(0, this.log.length - 5000)
  }

  snapshot() {
    return [...this.vms.values()].map((vm) => ({ serverId: vm.serverId, files: vm.fileInfo(), jobs: vm.jobsInfo() }))
  }

  reset(): void {
    for (const id of [...this.vms.keys()]) this.forget(id)
    this.rules = []
    this.log.length = 0
  }
}

/** The keys of a server's authorized_keys personality; lines ssh2 cannot parse are skipped, as sshd does. */
function authorizedKeys(server: ServerRec): ssh2.ParsedKey[] {
  const file = server.personality.find((p) => p.path === AUTHORIZED_KEYS)
  if (!file) return []
  const keys: ssh2.ParsedKey[] = []
  for (const line of Buffer.from(file.contents, 'base64').toString('utf8').split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue
    const parsed = ssh2.utils.parseKey(line.trim())
    if (parsed instanceof Error) continue
    keys.push(...(Array.isArray(parsed) ? parsed : [parsed]))
  }
  return keys
}
