import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { listening } from '../bench/servers.js'

// The service under test as a child process on one data directory: started, SIGKILLed, started again. The
// ~okeanos it authenticates against lives in the test's process, so it outlives every kill.

export class CrashServer {
  private child: ChildProcess | undefined
  private up!: Promise<string>
  private markUp!: (url: string) => void
  private listening = false
  kills = 0

  constructor(
    readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly cwd = process.cwd(),
  ) {
    this.down()
  }

  /** The URL of the running server; waits while it is down. */
  url(): Promise<string> {
    return this.up
  }

  /** Started, not killed or stopped since. */
  isUp(): boolean {
    return this.listening
  }

  async start(): Promise<string> {
    // Each start's output on its own: the banner looked for is this start's.
    const outputFile = join(this.dataDir, 'output.log')
    const output = openSync(outputFile, 'w')
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: this.cwd,
      env: { ...process.env, PORT: '0', LOD_LOG_LEVEL: 'silent', ...this.env, LOD_DATA_DIR: this.dataDir },
      stdio: ['ignore', output, 'inherit'],
    })
    closeSync(output)
    this.child = child
    const { url } = await listening(outputFile, child, 'lod serve')
    this.listening = true
    this.markUp(url)
    return url
  }

  /** SIGKILL: no handler runs, nothing is flushed that was not already committed. */
  async kill(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    this.down()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    this.kills++
  }

  /** SIGTERM: the service closes its log and read models. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    this.down()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }

  private down(): void {
    this.listening = false
    this.up = new Promise((resolve) => (this.markUp = resolve))
  }
}
