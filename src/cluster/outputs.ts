/**
 * What supervisorctl (supervisor 4) and the Flink CLI print, shared by the emulator (which prints it)
 * and the client (which reads it), so both agree on one format that matches the real tools.
 */

/** supervisord process states (supervisor/states.py). */
export type SupervisorState = 'STOPPED' | 'STARTING' | 'RUNNING' | 'BACKOFF' | 'STOPPING' | 'EXITED' | 'FATAL' | 'UNKNOWN'

const SUPERVISOR_STATES: readonly string[] = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN']

export interface SupervisorStatus {
  name: string
  state: SupervisorState
  /** `pid 1234, uptime 0:00:05`, `Not started`, `Exited too quickly (process log may have details)`… */
  description: string
}

/** One `supervisorctl status <name>` line: the name padded to 33, the state to 10. */
export function formatSupervisorStatus(s: SupervisorStatus): string {
  return `${s.name.padEnd(33)}${s.state.padEnd(10)}${s.description}`
}

export function parseSupervisorStatus(stdout: string): SupervisorStatus | undefined {
  const m = /^(\S+)\s+([A-Z]+)\s*(.*)$/m.exec(stdout.trim())
  if (!m || !SUPERVISOR_STATES.includes(m[2]!)) return undefined
  return { name: m[1]!, state: m[2] as SupervisorState, description: m[3]!.trim() }
}

/** `supervisorctl status` exits 3 (LSB "not running") when the process is not RUNNING. */
export const SUPERVISOR_NOT_RUNNING_EXIT = 3

/** The `ERROR (…)` reasons supervisorctl start/stop print (supervisorctl.py `_startresult`/`_stopresult`). */
export const SUPERVISOR_ERRORS = {
  alreadyStarted: 'already started',
  notRunning: 'not running',
  spawnError: 'spawn error',
  noSuchProcess: 'no such process',
} as const

export const supervisorResult = {
  started: (name: string) => `${name}: started`,
  stopped: (name: string) => `${name}: stopped`,
  error: (name: string, reason: string) => `${name}: ERROR (${reason})`,
}

/** True if supervisorctl output says `<name>: ERROR (<reason>)`. */
export function supervisorSaid(output: string, reason: string): boolean {
  return output.includes(`: ERROR (${reason})`)
}

export interface FlinkJobLine {
  id: string
  name: string
  /** RUNNING, RESTARTING, CREATED… */
  state: string
  /** As printed, `dd.MM.yyyy HH:mm:ss`. */
  started: string
}

const RUNNING_HEADER = '------------------ Running/Restarting Jobs -------------------'
const FOOTER = '--------------------------------------------------------------'
export const NO_RUNNING_JOBS = 'No running jobs.'

/** Flink's `dd.MM.yyyy HH:mm:ss`. */
export function flinkDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/**
 * `flink list -r` (Flink 1.x CliFrontend): `<date> <time> : <job id> : <job name> (<STATE>)` per job.
 * The original's run_streaming_job.sh takes the id as field 4 of `cut -d" "`, which is this layout.
 */
export function formatFlinkList(jobs: FlinkJobLine[]): string {
  if (jobs.length === 0) return `${NO_RUNNING_JOBS}\n`
  const lines = jobs.map((j) => `${j.started} : ${j.id} : ${j.name} (${j.state})`)
  return [RUNNING_HEADER, ...lines, FOOTER, ''].join('\n')
}

export function parseFlinkList(stdout: string): FlinkJobLine[] {
  const jobs: FlinkJobLine[] = []
  for (const line of stdout.split('\n')) {
    const m = /^(\S+ \S+) : ([0-9a-f]{32}) : (.*) \(([A-Z_]+)\)$/.exec(line.trimEnd())
    if (m) jobs.push({ started: m[1]!, id: m[2]!, name: m[3]!, state: m[4]! })
  }
  return jobs
}

export const flinkCancelOutput = (id: string) => `Cancelling job ${id}.\nCancelled job ${id}.\n`
