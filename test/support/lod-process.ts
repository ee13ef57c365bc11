import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

// `lod` as a process of its own (`lod serve`, `lod reactors`), as an operator starts it: configured by its
// environment, ready once it prints the line that says so.

const root = join(import.meta.dirname, '..', '..')

/** A port nobody listens on just now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** Starts `lod <command>` and resolves once its output holds `ready`; rejects if it exits first. */
export async function startLod(command: string, env: NodeJS.ProcessEnv, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', command], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes(ready)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`lod ${command} exited (${code}): ${out}`)))
  })
  return child
}

/** Stops a started `lod` as Ctrl-C would, and resolves with its exit code. */
export function stopLod(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  return exited
}

/** Starts `lod <args>` (bin/lod.js) to run to its end, as a data command runs beside the service: `exited` resolves
 *  with its exit code, `output` is what it printed so far (stdout and stderr). */
export function runLod(args: string[], env: NodeJS.ProcessEnv = process.env): { exited: Promise<number | null>; output(): string } {
  const child = spawn(process.execPath, [join(root, 'bin', 'lod.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return { exited: new Promise((resolve) => child.on('exit', resolve)), output: () => output }
}
