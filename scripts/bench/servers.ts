import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Starting the servers under test as child processes, so that the load generator does not share their event loop.

export interface ChildServer {
  url: string
  /** The line the server printed when it began to listen. */
  banner: string
  /** The file its standard output goes to (its log, at the level it runs). */
  outputFile: string
  child: ChildProcess
  dataDir: string
  /** CPU time the server has used so far, in ms (Linux; 0 elsewhere). */
  cpuMs(): number
  /** Resident memory now and at its peak, in bytes (Linux; 0 elsewhere). */
  memory(): { rss: number; peak: number }
  stop(): Promise<void>
}

export interface ChildOptions {
  /** A core to pin the server to (taskset). */
  core?: number
  /** A data directory to use (kept); by default a temporary one, removed by stop(). */
  dataDir?: string
  /** Extra node arguments, before the script. */
  nodeArgs?: string[]
}

/** Pins a child to one core with taskset when the machine has it, so both servers get the same share. */
function command(args: string[], core: number | undefined): [string, string[]] {
  return core === undefined ? [process.execPath, args] : ['taskset', ['-c', String(core), process.execPath, ...args]]
}

const ticksPerSecond = (() => {
  const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  return Number(probe.stdout?.trim()) || 100
})()

/** utime + stime of a process, from /proc (taskset execs node, so the pid is node's). */
export function cpuMsOf(pid: number | undefined): number {
  const file = `/proc/${pid}/stat`
  if (pid === undefined || !existsSync(file)) return 0
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

function memoryOf(pid: number | undefined): { rss: number; peak: number } {
  const file = `/proc/${pid}/status`
  if (pid === undefined || !existsSync(file)) return { rss: 0, peak: 0 }
  const status = readFileSync(file, 'utf8')
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

/**
 * Resolves with the URL a server prints ("listening on http://…") in its output file, and that line. The output
 * goes to a file, as a user's log would: a pipe would make the load generator's core copy every log line.
 */
export function listening(outputFile: string, child: ChildProcess, name: string): Promise<{ url: string; banner: string }> {
  return new Promise((resolve, reject) => {
    const read = () => readFileSync(outputFile, 'utf8')
    const poll = setInterval(() => {
      const match = /^.*listening on (http:\/\/[\d.]+:\d+).*$/m.exec(read())
      if (match) {
        clearInterval(poll)
        child.off('exit', exited)
        resolve({ url: match[1]!, banner: match[0] })
      }
    }, 50)
    const exited = (code: number | null) => {
      clearInterval(poll)
      reject(new Error(`${name} exited with ${code} before listening:\n${read()}`))
    }
    child.once('exit', exited)
  })
}

export async function startChild(script: string, env: Record<string, string>, options: ChildOptions = {}): Promise<ChildServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lod-bench-'))
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...(script.endsWith('cli.ts') ? ['serve'] : [])]
  const [cmd, argv] = command(args, options.core)
  const outputFile = join(dataDir, 'output.log')
  const output = openSync(outputFile, 'w')
  // The configuration is the caller's: a server at its defaults is what a user runs.
  const child = spawn(cmd, argv, {
    env: { ...process.env, PORT: '0', LOD_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', output, 'inherit'],
  })
  closeSync(output)
  const { url, banner } = await listening(outputFile, child, script)
  return {
    url,
    banner,
    outputFile,
    child,
    dataDir,
    cpuMs: () => cpuMsOf(child.pid),
    memory: () => memoryOf(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function hasTaskset(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    probe.once('error', () => resolve(false))
    probe.once('exit', (code) => resolve(code === 0))
  })
}

export function pinSelf(core: number): void {
  spawnSync('taskset', ['-cp', String(core), String(process.pid)], { stdio: 'ignore' })
}

/** Runs a script to its end (pinned like the servers when `core` is given) and answers what it printed. */
export function runScript(script: string, args: string[], core?: number): string {
  const [cmd, argv] = command(['--import', 'tsx', script, ...args], core)
  const run = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (run.status !== 0) throw new Error(`${script} exited with ${run.status ?? run.signal}: ${run.stderr.trim()}`)
  return run.stdout
}
