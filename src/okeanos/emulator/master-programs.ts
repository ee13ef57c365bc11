/**
 * The programs a master VM of the emulator can run: just those LoD's commands use
 * (src/cluster/commands.ts), with the real tools' exit codes and messages (coreutils, GNU sed,
 * supervisorctl 4, the Flink 1.x CLI).
 *
 * Modelling choices: `flink run` of a streaming job submits a Flink job named after the script's
 * execution_environment_name, and stopping the supervisord job leaves that Flink job running (the
 * client was killed; the original counts on a trap in the script to cancel it, LoD cancels it
 * explicitly). Batch jobs are not modelled on the Flink side.
 */
import { Readable } from 'node:stream'
import { FLINK_BIN, FLINK_HOME, RUN_SCRIPT, SUPERVISOR_JOB, bashValue, type JobType, type SimpleCommand } from '../../cluster/commands.js'
import {
  SUPERVISOR_ERRORS,
  SUPERVISOR_NOT_RUNNING_EXIT,
  flinkCancelOutput,
  flinkDate,
  formatFlinkList,
  formatSupervisorStatus,
  supervisorResult,
} from '../../cluster/outputs.js'
import type { BlobStore } from './blobs.js'
import { parentOf, type MasterVm } from './master-vm.js'

export interface Io {
  /** The channel's stdin; undefined once something read it. */
  stdin: Readable | undefined
  stdout(s: string): void
  stderr(s: string): void
  blobs: BlobStore
  /** 32 hex digits for a Flink job id. */
  jobId(): string
}

/** Reading stdin failed mid-upload (the connection broke): the writing program dies, nothing changes. */
export class StdinAborted extends Error {}

type Program = (vm: MasterVm, cmd: SimpleCommand, io: Io) => Promise<number> | number

const absolute = (p: string) => (p.startsWith('/') ? p : `${FLINK_HOME}/${p}`)

const cat: Program = async (vm, { argv, stdoutTo }, io) => {
  const files = argv.slice(1)
  if (stdoutTo !== undefined) {
    const target = absolute(stdoutTo)
    if (files.length > 0) return unsupported(io, 'cat FILE > FILE')
    if (!vm.isDir(parentOf(target))) {
      io.stderr(`bash: ${stdoutTo}: No such file or directory\n`)
      return 1
    }
    if (vm.isDir(target)) {
      io.stderr(`bash: ${stdoutTo}: Is a directory\n`)
      return 1
    }
    const stdin = io.stdin
    io.stdin = undefined
    let blob
    try {
      blob = await io.blobs.write(stdin ?? Readable.from([]))
    } catch {
      throw new StdinAborted()
    }
    io.blobs.remove(vm.put(target, { blob, modified: new Date().toISOString() }))
    return 0
  }
  if (files.length === 0) return unsupported(io, 'cat without a file')
  let code = 0
  for (const f of files) {
    const path = absolute(f)
    if (!vm.files.has(path)) {
      io.stderr(`cat: ${f}: ${vm.isDir(path) ? 'Is a directory' : 'No such file or directory'}\n`)
      code = 1
      continue
    }
    io.stdout((await vm.read(path, io.blobs)).toString('utf8'))
  }
  return code
}

const mv: Program = (vm, { argv }, io) => {
  const args = argv.slice(1).filter((a) => a !== '-f')
  if (args.length !== 2) return usage(io, 'mv', 'missing destination file operand')
  const [from, to] = args.map(absolute) as [string, string]
  const file = vm.files.get(from)
  if (!file) {
    io.stderr(`mv: cannot stat '${args[0]}': No such file or directory\n`)
    return 1
  }
  const target = vm.isDir(to) ? `${to}/${from.slice(from.lastIndexOf('/') + 1)}` : to
  if (!vm.isDir(parentOf(target))) {
    io.stderr(`mv: cannot move '${args[0]}' to '${args[1]}': No such file or directory\n`)
    return 1
  }
  if (target === from) return 0
  vm.files.delete(from)
  io.blobs.remove(vm.put(target, file))
  return 0
}

const rm: Program = (vm, { argv }, io) => {
  const force = argv.includes('-f')
  let code = 0
  for (const arg of argv.slice(1).filter((a) => a !== '-f')) {
    const path = absolute(arg)
    if (vm.isDir(path)) {
      io.stderr(`rm: cannot remove '${arg}': Is a directory\n`)
      code = 1
    } else if (vm.files.has(path)) io.blobs.remove(vm.delete(path))
    else if (!force) {
      io.stderr(`rm: cannot remove '${arg}': No such file or directory\n`)
      code = 1
    }
  }
  return code
}

const test: Program = (vm, { argv }, io) => {
  const [, op, arg] = argv
  if (argv.length !== 3 || arg === undefined) return argv.length === 2 && op !== '' ? 0 : 1
  const path = absolute(arg)
  if (op === '-f') return vm.files.has(path) ? 0 : 1
  if (op === '-d') return vm.isDir(path) ? 0 : 1
  if (op === '-e') return vm.files.has(path) || vm.isDir(path) ? 0 : 1
  io.stderr(`test: ${op}: unary operator expected\n`)
  return 2
}

/** `ls [-1] [-a|-A] [PATH…]`: one name per line, dotfiles only with -a/-A, as coreutils. */
const ls: Program = (vm, { argv }, io) => {
  const flags = argv.slice(1).filter((a) => a.startsWith('-')).join('')
  const all = flags.includes('a') || flags.includes('A')
  const paths = argv.slice(1).filter((a) => !a.startsWith('-'))
  let code = 0
  for (const arg of paths.length > 0 ? paths : [FLINK_HOME]) {
    const path = absolute(arg)
    if (vm.isDir(path)) {
      for (const name of vm.list(path)) if (all || !name.startsWith('.')) io.stdout(`${name}\n`)
    } else if (vm.files.has(path)) io.stdout(`${arg}\n`)
    else {
      io.stderr(`ls: cannot access '${arg}': No such file or directory\n`)
      code = 2
    }
  }
  return code
}

/** GNU `sed -i 's<d>regex<d>replacement<d>[g]' FILE`, the only sed LoD uses. */
const sed: Program = async (vm, { argv }, io) => {
  if (argv.length !== 4 || argv[1] !== '-i') return unsupported(io, argv.join(' '))
  const script = argv[2]!
  const file = argv[3]!
  const sub = parseSubstitution(script)
  if (!sub) {
    io.stderr(`sed: -e expression #1, char ${script.length}: unknown command: \`${script[0] ?? ''}'\n`)
    return 1
  }
  const path = absolute(file)
  if (!vm.files.has(path)) {
    io.stderr(`sed: can't read ${file}: No such file or directory\n`)
    return 2
  }
  const text = (await vm.read(path, io.blobs)).toString('utf8')
  const out = text
    .split('\n')
    .map((line) => line.replace(sub.regex, (match) => sub.replacement.replace(/\\(.)|&/gs, (m, esc: string | undefined) => (esc === undefined ? match : esc === 'n' ? '\n' : esc))))
    .join('\n')
  io.blobs.remove(vm.put(path, { data: Buffer.from(out), modified: new Date().toISOString() }))
  return 0
}

function parseSubstitution(script: string): { regex: RegExp; replacement: string } | undefined {
  if (script[0] !== 's' || script.length < 4) return undefined
  const d = script[1]!
  const parts: string[] = []
  let cur = ''
  for (let i = 2; i < script.length; i++) {
    const c = script[i]!
    if (c === '\\' && i + 1 < script.length) {
      // An escaped delimiter is the delimiter itself; other escapes stay for the regex or replacement.
      cur += script[i + 1] === d ? d : c + script[i + 1]
      i++
    } else if (c === d) {
      parts.push(cur)
      cur = ''
    } else cur += c
  }
  if (parts.length !== 2 || !/^g?$/.test(cur)) return undefined
  try {
    return { regex: new RegExp(parts[0]!, cur), replacement: parts[1]! }
  } catch {
    return undefined
  }
}

const jobTypeOf = (name: string | undefined): JobType | undefined =>
  (Object.keys(SUPERVISOR_JOB) as JobType[]).find((t) => SUPERVISOR_JOB[t] === name || `${SUPERVISOR_JOB[t]}:` === name)

/** `supervisorctl start|stop|status <name>` for the two jobs of the flink role. */
const supervisorctl: Program = async (vm, { argv }, io) => {
  const [, action, name] = argv
  if (argv.length !== 3 || !['start', 'stop', 'status'].includes(action ?? '')) return unsupported(io, argv.join(' '))
  const type = jobTypeOf(name)
  const job = type && SUPERVISOR_JOB[type]
  if (!type || !job) {
    io.stdout(`${supervisorResult.error(name!, SUPERVISOR_ERRORS.noSuchProcess)}\n`)
    return action === 'status' ? 4 : 1
  }
  const state = vm.jobs[type]
  if (action === 'status') {
    io.stdout(`${formatSupervisorStatus({ name: job, state: state.state, description: describe(state) })}\n`)
    return state.state === 'RUNNING' ? 0 : SUPERVISOR_NOT_RUNNING_EXIT
  }
  if (action === 'stop') {
    if (state.state !== 'RUNNING') {
      io.stdout(`${supervisorResult.error(job, SUPERVISOR_ERRORS.notRunning)}\n`)
      return 1
    }
    vm.jobs[type] = { state: 'STOPPED', since: Date.now() }
    io.stdout(`${supervisorResult.stopped(job)}\n`)
    return 0
  }
  if (state.state === 'RUNNING') {
    io.stdout(`${supervisorResult.error(job, SUPERVISOR_ERRORS.alreadyStarted)}\n`)
    return 1
  }
  // Spawn the run script: `flink run $JARFILE` exits at once when the jar is not there.
  const script = (await vm.read(RUN_SCRIPT[type], io.blobs)).toString('utf8')
  const jar = absolute(scriptVar(script, 'export JARFILE') ?? '')
  if (!vm.files.has(jar)) {
    vm.jobs[type] = { state: 'FATAL', since: Date.now(), reason: `${jar} not found` }
    io.stdout(`${supervisorResult.error(job, SUPERVISOR_ERRORS.spawnError)}\n`)
    return 1
  }
  vm.jobs[type] = { state: 'RUNNING', since: Date.now(), pid: vm.pid(), jar }
  if (type === 'streaming') {
    const name = scriptVar(script, 'execution_environment_name') ?? ''
    vm.flinkJobs.push({ id: io.jobId(), name: name || 'Flink Streaming Job', state: 'RUNNING', started: new Date() })
  }
  io.stdout(`${supervisorResult.started(job)}\n`)
  return 0
}

/** The value a bash assignment `<key>=<value>` in the script sets, if any. */
function scriptVar(script: string, key: string): string | undefined {
  const line = script.split('\n').find((l) => l.startsWith(`${key}=`))
  if (line === undefined) return undefined
  try {
    return bashValue(line.slice(key.length + 1))
  } catch {
    return undefined
  }
}

/** The description column of `supervisorctl status`. */
function describe(j: MasterVm['jobs'][JobType]): string {
  if (j.state === 'RUNNING') {
    const s = Math.floor((Date.now() - j.since) / 1000)
    const uptime = `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
    return `pid ${j.pid}, uptime ${uptime}`
  }
  if (j.state === 'FATAL') return 'Exited too quickly (process log may have details)'
  if (j.since === 0) return 'Not started'
  return new Date(j.since).toLocaleString('en-US', { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: true }).replace(',', '')
}

/** `flink list [-r]` and `flink cancel <id>`. */
const flink: Program = (vm, { argv }, io) => {
  const [, action, ...rest] = argv
  if (action === 'list' && rest.every((a) => a === '-r' || a === '--running')) {
    io.stdout(formatFlinkList(vm.flinkJobs.map((j) => ({ id: j.id, name: j.name, state: j.state, started: flinkDate(j.started) }))))
    return 0
  }
  if (action === 'cancel' && rest.length === 1) {
    const id = rest[0]!
    const i = vm.flinkJobs.findIndex((j) => j.id === id)
    if (i < 0) {
      io.stderr(
        `\n------------------------------------------------------------\n The program finished with the following exception:\n\n` +
          `org.apache.flink.util.FlinkException: Could not cancel job ${id}.\n`,
      )
      return 1
    }
    vm.flinkJobs.splice(i, 1)
    io.stdout(flinkCancelOutput(id))
    return 0
  }
  return unsupported(io, argv.join(' '))
}

function usage(io: Io, program: string, message: string): number {
  io.stderr(`${program}: ${message}\nTry '${program} --help' for more information.\n`)
  return 1
}

/** A form of a known program LoD never sends: say so plainly rather than guess. */
function unsupported(io: Io, what: string): number {
  io.stderr(`emulator: unsupported command form: ${what}\n`)
  return 2
}

export const PROGRAMS: Readonly<Record<string, Program>> = {
  cat,
  mv,
  rm,
  test,
  ls,
  sed,
  supervisorctl,
  flink,
  [FLINK_BIN]: flink,
}
