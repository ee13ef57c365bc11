/**
 * The emulator plays the cluster's master VM: once a server built with the
 * personality file /etc/lod/service-vm.json becomes ACTIVE for the first time,
 * it reports the install stages to the service's status URL, one POST per
 * stage, as the real master's Ansible run would (docs/original.md "Provisioning" (step 11)).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { PersonalityFile } from './state.js'

export const SERVICE_VM_FILE = '/etc/lod/service-vm.json'

export const STAGES = [
  { name: 'init', ok: '12', failed: '13' },
  { name: 'commons', ok: '14', failed: '15' },
  { name: 'hadoop', ok: '16', failed: '17' },
  { name: 'kafka', ok: '18', failed: '19' },
  { name: 'flink', ok: '20', failed: '21' },
  { name: 'flume', ok: '22', failed: '23' },
] as const

export type StageName = (typeof STAGES)[number]['name']
/** Final status after every stage succeeded. */
export const STARTED_CODE = '0'
export const STAGE_FAILURE_MESSAGE = 'Ansible task failed'

export interface ServiceVmConfig {
  instance_id: string
  status_url: string
  token: string
}

export interface StageFailSpec {
  /** Stage name ("hadoop") or its success or failure code ("16" or "17"). */
  stage: StageName | string
  /** How many installs this applies to (default 1; 0 or negative = until cleared). */
  times?: number
  /** Only for this LoD instance id. */
  instanceId?: string
}

export interface ServiceVmReport {
  instanceId: string
  serverId: number
  status: string
  failureMessage: string
  /** Final HTTP status of the POST; 0 when every attempt failed to connect. */
  httpStatus: number
  attempts: number
  at: string
}

interface FailRule {
  stageIndex: number
  remaining: number
  instanceId: string | undefined
}

export interface ServiceVmOptions {
  /** Delay between stages (read at each step, so admin changes apply at once). */
  stageDelay: () => number
  /** Extra attempts for a POST that fails with a connection error or 5xx. */
  retries?: number
  backoffMs?: number
  timeoutMs?: number
}

export class ServiceVm {
  readonly reports: ServiceVmReport[] = []
  private failRules: FailRule[] = []
  private abort = new AbortController()
  private running = new Set<Promise<void>>()

  constructor(private readonly opts: ServiceVmOptions) {}

  /** The config the service put in the master's personality, if any. */
  static configFrom(personality: PersonalityFile[]): ServiceVmConfig | undefined {
    const file = personality.find((p) => p.path === SERVICE_VM_FILE)
    if (!file) return undefined
    try {
      const cfg = JSON.parse(Buffer.from(file.contents, 'base64').toString('utf8')) as Partial<ServiceVmConfig>
      if (typeof cfg.status_url !== 'string' || typeof cfg.token !== 'string') return undefined
      return { instance_id: String(cfg.instance_id ?? ''), status_url: cfg.status_url, token: cfg.token }
    } catch {
      return undefined
    }
  }

  failStage(spec: StageFailSpec): void {
    const stageIndex = STAGES.findIndex((s) => s.name === spec.stage || s.ok === spec.stage || s.failed === spec.stage)
    if (stageIndex < 0) throw new Error(`Unknown install stage '${spec.stage}'`)
    const times = spec.times ?? 1
    this.failRules.push({ stageIndex, remaining: times > 0 ? times : Infinity, instanceId: spec.instanceId })
  }

  failures(): { stage: StageName; remaining: number | null; instanceId: string | null }[] {
    return this.failRules.map((r) => ({
      stage: STAGES[r.stageIndex]!.name,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      instanceId: r.instanceId ?? null,
    }))
  }

  /** Start reporting for a master that just became ACTIVE. `alive` stops the run if the VM goes away. */
  start(serverId: number, cfg: ServiceVmConfig, alive: () => boolean): void {
    const failAt = this.takeFailure(cfg.instance_id)
    const run = this.run(serverId, cfg, failAt, alive).catch(() => {})
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
  }

  /** Resolves when every report run in progress has finished (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running])
  }

  /** Stop every run (emulator close/reset). */
  stop(): void {
    this.abort.abort()
    this.abort = new AbortController()
  }

  clearFailures(): void {
    this.failRules = []
  }

  reset(): void {
    this.stop()
    this.failRules = []
    this.reports.length = 0
  }

  private takeFailure(instanceId: string): number | undefined {
    const i = this.failRules.findIndex((r) => r.instanceId === undefined || r.instanceId === instanceId)
    if (i < 0) return undefined
    const rule = this.failRules[i]!
    if (--rule.remaining <= 0) this.failRules.splice(i, 1)
    return rule.stageIndex
  }

  private async run(serverId: number, cfg: ServiceVmConfig, failAt: number | undefined, alive: () => boolean): Promise<void> {
    const signal = this.abort.signal
    for (let i = 0; i < STAGES.length; i++) {
      await sleep(this.opts.stageDelay(), undefined, { signal })
      if (!alive()) return
      const stage = STAGES[i]!
      if (i === failAt) {
        await this.post(serverId, cfg, stage.failed, STAGE_FAILURE_MESSAGE, signal)
        return
      }
      if (!(await this.post(serverId, cfg, stage.ok, '', signal))) return
    }
    await sleep(this.opts.stageDelay(), undefined, { signal })
    if (!alive()) return
    await this.post(serverId, cfg, STARTED_CODE, '', signal)
  }

  /** One status POST, retried on connection errors and 5xx; false if the run should stop. */
  private async post(serverId: number, cfg: ServiceVmConfig, status: string, failureMessage: string, signal: AbortSignal): Promise<boolean> {
    const retries = this.opts.retries ?? 4
    const backoff = this.opts.backoffMs ?? 100
    let httpStatus = 0
    let attempts = 0
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoff * 2 ** (attempt - 1), undefined, { signal })
      attempts++
      try {
        const res = await fetch(cfg.status_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Token ${cfg.token}` },
          body: JSON.stringify({ status, failure_message: failureMessage }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 5_000)]),
        })
        await res.arrayBuffer().catch(() => undefined)
        httpStatus = res.status
        if (res.status < 500) break
      } catch (err) {
        if (signal.aborted) throw err
        httpStatus = 0
      }
    }
    this.reports.push({ instanceId: cfg.instance_id, serverId, status, failureMessage, httpStatus, attempts, at: new Date().toISOString() })
    return httpStatus >= 200 && httpStatus < 300
  }
}
