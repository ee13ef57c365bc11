/**
 * A local ~okeanos: one real HTTP server speaking Synnefo's wire format for
 * identity, account, compute, network and Pithos (src/okeanos/README.md), with timed
 * lifecycles, a quota engine, fault injection, the service-VM reporter, and
 * one SSH server standing in for the master VMs (ssh.ts).
 *
 *   const emu = await startEmulator({ delays: fastDelays })
 *   const auth = await authenticate(emu.identityUrl, emu.users[0].token)
 *   ...
 *   await emu.close()
 */
import { createApp } from './app.js'
import { BuildControl, type BuildRuleSpec } from './builds.js'
import { registerCompute } from './compute.js'
import type { Ctx } from './context.js'
import { Controls, type QuotaPatch, type Usage } from './control.js'
import { defaultDelays, type EmulatorDelays } from './delays.js'
import { FaultInjector, type FaultSpec } from './faults.js'
import { registerIdentity } from './identity.js'
import { registerAccount } from './account.js'
import { registerNetwork } from './network.js'
import { registerAdmin } from './admin.js'
import { registerPithos } from './pithos.js'
import { QuotaEngine } from './quota.js'
import type { ResourceName } from './resources.js'
import { ServiceVm, type ServiceVmReport, type StageFailSpec } from './service-vm.js'
import { BlobStore } from './blobs.js'
import { MasterVms, type SshCommandRecord, type SshFailureSpec } from './masters.js'
import type { VmFileInfo } from './master-vm.js'
import { startSshServer } from './ssh.js'
import { EmulatorState, Scheduler, type ProjectState, type RequestLogEntry } from './state.js'
import { demoUsers, type EmulatorUser } from './users.js'

export { demoUsers, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, TINY_PROJECT_ID, keyFingerprint } from './users.js'
export type { EmulatorUser, EmulatorProject } from './users.js'
export { defaultDelays, fastDelays } from './delays.js'
export type { EmulatorDelays } from './delays.js'
export type { ResourceName } from './resources.js'
export { GiB, MiB } from './resources.js'
export type { FaultSpec } from './faults.js'
export type { BuildRuleSpec } from './builds.js'
export { SERVICE_VM_FILE, STAGES, STARTED_CODE, STAGE_FAILURE_MESSAGE } from './service-vm.js'
export type { ServiceVmConfig, ServiceVmReport, StageFailSpec, StageName } from './service-vm.js'
export { IMAGES, PUBLIC_NETWORK_ID } from './seed.js'
export type { QuotaPatch, Usage } from './control.js'
export type { RequestLogEntry, ProjectState } from './state.js'
export type { SshFailureSpec, SshCommandRecord } from './masters.js'
export type { VmFileInfo } from './master-vm.js'
export { INITIAL_RUN_SCRIPTS } from './master-vm.js'

export interface EmulatorOptions {
  /** Default 0 (any free port). */
  port?: number
  /** Port of the master VMs' SSH server (same host). Default 0 (any free port). */
  sshPort?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Default demoUsers(). */
  users?: EmulatorUser[]
  /** Default defaultDelays (seconds); pass fastDelays in tests. */
  delays?: Partial<EmulatorDelays>
  /** Fastify request logging (tokens are redacted). Default off. */
  logger?: boolean
  /** Seed for adminPass/MAC randomness. Default 1. */
  seed?: number
}

export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string
  /** `${url}/identity/v2.0`: the only URL a client needs. */
  identityUrl: string
  /**
   * Where every emulated master VM accepts SSH (user root, the keys of its authorized_keys
   * personality), on the emulator's host. Servers' SNF:fqdn and IPs stay as ~okeanos shows them.
   */
  sshPort: number
  /** Where object bodies and master VMs' uploaded files are kept (removed on close). */
  tempDir: string
  users: EmulatorUser[]
  /** The live model (read it; change it through the methods below). */
  state: EmulatorState
  close(): Promise<void>
  /** Back to the initial state: users, catalogue, no resources, no faults, initial delays. */
  reset(): void
  setDelays(delays: Partial<EmulatorDelays>): EmulatorDelays
  /** Answer the next N matching calls with a fault (see FaultSpec); returns the rule id. */
  injectFault(spec: FaultSpec): number
  clearFaults(): void
  /** Random 5xx (default 503) on any Synnefo call with probability `rate`; 0 turns it off. */
  setChaos(rate: number, opts?: { status?: number; seed?: number; message?: string }): void
  /** Make the next N builds (optionally only names matching a regex) end in ERROR or stay in BUILD. */
  forceBuild(spec: BuildRuleSpec): number
  clearBuildRules(): void
  /** Make a service-VM install stage fail (posts its *_FAILED code and stops). */
  failStage(spec: StageFailSpec): void
  setProjectQuota(projectId: string, patch: QuotaPatch): void
  setUsage(projectId: string, userId: string, usage: Usage): void
  setProjectState(projectId: string, state: ProjectState): void
  addUser(user: EmulatorUser): void
  setUserExpired(userId: string, expired: boolean): void
  suspendServer(serverId: number, suspended: boolean): void
  setFloatingIpPoolSize(size: number): void
  /** Servers, networks, subnets, ports, floating IPs, quota usage, faults, reports, last requests. */
  snapshot(): ReturnType<Controls['snapshot']>
  /** The request log (method, path, status, user uuid; never tokens). */
  requests(): RequestLogEntry[]
  serviceVmReports(): ServiceVmReport[]
  /** Resolves once every service-VM report run in progress has finished. */
  serviceVmIdle(): Promise<void>
  /** Current usage of a user in a project (resource → qty; ram/disk in bytes). */
  usage(projectId: string, userId: string): Record<ResourceName, number>
  /** Make the next N SSH commands matching `pattern` fail without running (the VM stays unchanged). */
  failSshCommand(spec: SshFailureSpec): number
  clearSshFailures(): void
  /** Files on a server's VM: path, size and MD5 (never contents). */
  masterFiles(serverId: number): VmFileInfo[]
  /** The VM's supervisord jobs (flink_batch_job, flink_streaming_job) and running Flink jobs. */
  masterJobs(serverId: number): ReturnType<MasterVms['jobs']>
  /** Every SSH command run (or refused by an injected failure), oldest first. */
  sshCommands(): SshCommandRecord[]
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const users = opts.users ?? demoUsers()
  const delays: EmulatorDelays = { ...defaultDelays, ...opts.delays }
  const seed = opts.seed ?? 1
  const state = new EmulatorState({ ...delays }, seed)
  const scheduler = new Scheduler((err) => console.error('okeanos emulator: timer failed:', (err as Error)?.stack ?? err))
  const blobs = new BlobStore()
  const ctx: Ctx = {
    blobs,
    masters: new MasterVms(state, blobs),
    state,
    quota: new QuotaEngine(state),
    faults: new FaultInjector(),
    scheduler,
    builds: new BuildControl(),
    serviceVm: new ServiceVm({ stageDelay: () => state.delays.serviceVmStage }),
  }
  const controls = new Controls(ctx, { users, delays, seed })
  controls.reset()

  const startedAt = Date.now()
  const { app, routes } = createApp(ctx, { logger: opts.logger ?? false })
  registerIdentity(routes, startedAt)
  registerAccount(routes)
  registerCompute(routes)
  registerNetwork(routes)
  registerPithos(routes)
  registerAdmin(app, ctx, controls)

  const host = opts.host ?? '127.0.0.1'
  let ssh
  try {
    await app.listen({ port: opts.port ?? 0, host })
    ssh = await startSshServer(ctx.masters, { state, blobs }, host, opts.sshPort ?? 0)
  } catch (err) {
    await app.close()
    blobs.close()
    throw err
  }
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0)
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  state.baseUrl = url

  let closed = false
  return {
    url,
    identityUrl: `${url}/identity/v2.0`,
    sshPort: ssh.port,
    tempDir: blobs.dir,
    users,
    state,
    async close() {
      if (closed) return
      closed = true
      scheduler.clear()
      ctx.serviceVm.stop()
      await Promise.all([app.close(), ssh.close()])
      blobs.close()
    },
    reset: () => controls.reset(),
    setDelays: (d) => controls.setDelays(d),
    injectFault: (spec) => controls.injectFault(spec),
    clearFaults: () => controls.clearFaults(),
    setChaos: (rate, o) => controls.setChaos(rate, o),
    forceBuild: (spec) => controls.forceBuild(spec),
    clearBuildRules: () => controls.clearBuildRules(),
    failStage: (spec) => controls.failStage(spec),
    setProjectQuota: (id, patch) => controls.setProjectQuota(id, patch),
    setUsage: (p, u, usage) => controls.setUsage(p, u, usage),
    setProjectState: (id, s) => controls.setProjectState(id, s),
    addUser: (u) => controls.addUser(u),
    setUserExpired: (id, e) => controls.setUserExpired(id, e),
    suspendServer: (id, s) => controls.suspendServer(id, s),
    setFloatingIpPoolSize: (n) => controls.setFloatingIpPoolSize(n),
    snapshot: () => controls.snapshot(),
    requests: () => [...state.requestLog],
    serviceVmReports: () => [...ctx.serviceVm.reports],
    serviceVmIdle: () => ctx.serviceVm.idle(),
    usage: (p, u) => ({ ...ctx.quota.holding(p, u) }),
    failSshCommand: (spec) => controls.failSshCommand(spec),
    clearSshFailures: () => ctx.masters.clearFailures(),
    masterFiles: (id) => ctx.masters.files(id),
    masterJobs: (id) => ctx.masters.jobs(id),
    sshCommands: () => [...ctx.masters.log],
  }
}
