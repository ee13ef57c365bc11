import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Starting the servers under test as child processes, so that the load generator does not share their event loop.

export interface ChildServer {
  url: string
  child: ChildProcess
  dataDir: string
  stop(): Promise<void>
}

/** Pins a child to one core with taskset when the machine has it, so both servers get the same share. */
function command(args: string[], core: number | undefined): [string, string[]] {
  return core === undefined ? [process.execPath, args] : ['taskset', ['-c', String(core), process.execPath, ...args]]
}

export async function startChild(script: string, env: Record<string, string>, core?: number): Promise<ChildServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lod-bench-'))
  const [cmd, args] = command(['--import', 'tsx', script, ...(script.endsWith('cli.ts') ? ['serve'] : [])], core)
  const child = spawn(cmd, args, {
    env: { ...process.env, PORT: '0', LOD_DATA_DIR: dataDir, LOD_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(seen)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening:\n${seen}`)))
  })
  return {
    url,
    child,
    dataDir,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      rmSync(dataDir, { recursive: true, force: true })
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
