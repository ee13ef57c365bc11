/**
 * A root shell on a cluster's master over SSH (ssh2), with the instance's generated key: what the
 * original did with scp, ssh and the flink-apps.yml playbook (docs/original.md "Applications"), as method calls.
 *
 *   const shell = await MasterShell.connect({ host, port, privateKey })
 *   try {
 *     await shell.upload(jarPath('wordcount.jar'), await ok.pithos.getObjectStream(container, 'wordcount.jar'))
 *     await shell.startJob('batch', 'wordcount.jar')
 *   } finally { await shell.close() }
 *
 * A non-zero exit throws MasterCommandError (final); no connection, a lost connection or a command
 * that makes no progress throws MasterConnectionError (transient unless the key was refused).
 * Start and stop are idempotent: "already started" / "not running" count as done, so a reactor can
 * repeat a step after a crash. The private key is handed to ssh2 and never kept or printed here.
 */
import { Readable, Transform, pipeline } from 'node:stream'
import ssh2 from 'ssh2'
import { FLINK_HOME, commands, type JobType } from './commands.js'
import { MasterCommandError, MasterConnectionError, type ConnectionFailure } from './errors.js'
import {
  SUPERVISOR_ERRORS,
  SUPERVISOR_NOT_RUNNING_EXIT,
  parseFlinkList,
  parseSupervisorStatus,
  supervisorSaid,
  type FlinkJobLine,
  type SupervisorStatus,
} from './outputs.js'

export interface MasterShellOptions {
  /** The master's address (on ~okeanos its public IP or SNF:fqdn; the emulator: 127.0.0.1). */
  host: string
  /** Default 22 (the emulator: `emulator.sshPort`). */
  port?: number
  /** PEM or OpenSSH private key: the instance's generated key (secret kind 'ssh-private-key'). */
  privateKey: string
  /** Default 'root', as the original. */
  username?: string
  /** TCP connect plus SSH handshake and authentication. Default 15 s. */
  connectTimeoutMs?: number
  /** SSH keepalive; the connection is dropped after `keepaliveCountMax` unanswered ones. Default 10 s × 3. */
  keepaliveIntervalMs?: number
  keepaliveCountMax?: number
  /** A command that moves no byte either way for this long is abandoned. Default 60 s. */
  idleTimeoutMs?: number
  /**
   * Host key check (raw key). Default: accept any, as the original (a freshly built master's host key
   * is not known in advance).
   */
  hostVerifier?: (key: Buffer) => boolean
}

export interface ExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Output kept per stream; more is dropped (commands here print a few lines). */
const MAX_OUTPUT = 1 << 20

export class MasterShell {
  // Private fields: util.inspect/JSON of a shell never reach ssh2's config, which holds the key.
  readonly #client: ssh2.Client
  #lostBecause: Error | undefined
  #closed = false
  readonly host: string
  readonly port: number
  private readonly idleTimeoutMs: number

  private constructor(client: ssh2.Client, host: string, port: number, idleTimeoutMs: number) {
    this.#client = client
    this.host = host
    this.port = port
    this.idleTimeoutMs = idleTimeoutMs
    // After 'ready' an error (keepalive timeout, reset) ends the connection; running commands then see
    // their channel close. Keep the cause for their error message, and never let it go unhandled.
    client.on('error', (err) => (this.#lostBecause = err))
    client.once('close', () => (this.#closed = true))
  }

  static connect(opts: MasterShellOptions): Promise<MasterShell> {
    const host = opts.host
    const port = opts.port ?? 22
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client()
      let settled = false
      const fail = (err: Error) => {
        if (settled) return
        settled = true
        // Not end(): before the handshake there is no session to close politely, and a half-closed
        // socket would linger on a peer that never speaks.
        client.destroy()
        reject(err)
      }
      client.once('ready', () => {
        if (settled) return client.end()
        settled = true
        client.removeListener('error', onError)
        resolve(new MasterShell(client, host, port, opts.idleTimeoutMs ?? 60_000))
      })
      const onError = (err: Error & { level?: string }) => fail(connectionError(err, host, port))
      client.on('error', onError)
      client.once('close', () => fail(new MasterConnectionError('network', 'connection closed during the handshake', host, port)))
      const config: ssh2.ConnectConfig = {
        host,
        port,
        username: opts.username ?? 'root',
        privateKey: opts.privateKey,
        readyTimeout: opts.connectTimeoutMs ?? 15_000,
        keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: opts.keepaliveCountMax ?? 3,
        hostVerifier: opts.hostVerifier ?? (() => true),
      }
      try {
        client.connect(config)
      } catch (err) {
        // A key ssh2 cannot parse. Its message names the format, never the key's contents.
        settled = true
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
  }

  /**
   * Write `source` to `remotePath`: streamed into a hidden partial file, renamed into place only once
   * every byte went through (an existing file is replaced then, never before). A source with a numeric
   * `size` (a Pithos `getObjectStream` download) must deliver exactly that many bytes. On any failure
   * the partial file is removed (best effort) and the error thrown: the source's own error if it failed.
   */
  async upload(remotePath: string, source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const command = commands.upload(remotePath)
    const declared = (source as { size?: unknown }).size
    let sent = 0
    try {
      const r = await this.run(command, source, (n) => (sent += n))
      this.expect(command, r)
      if (typeof declared === 'number' && sent !== declared) {
        throw new Error(`upload of ${remotePath} incomplete: the source gave ${sent} of ${declared} bytes`)
      }
    } catch (err) {
      if (!(err instanceof MasterConnectionError)) await this.exec(commands.discardUpload(remotePath)).catch(() => undefined)
      throw err
    }
    const commit = commands.commitUpload(remotePath)
    this.expect(commit, await this.exec(commit))
  }

  /** `rm -f`: removing a file that is not there is fine (withdraw is repeatable). */
  async remove(path: string): Promise<void> {
    const command = commands.remove(path)
    this.expect(command, await this.exec(command))
  }

  async exists(path: string): Promise<boolean> {
    const command = commands.exists(path)
    const r = await this.exec(command)
    if (r.exitCode === 0) return true
    if (r.exitCode === 1) return false
    throw new MasterCommandError(command, r.exitCode, r.stderr, r.stdout)
  }

  /** The names in a directory (default /home/flink), sorted as `ls` prints them. */
  async list(dir: string = FLINK_HOME): Promise<string[]> {
    const command = commands.list(dir)
    const r = this.expect(command, await this.exec(command))
    return r.stdout.split('\n').filter((l) => l !== '')
  }

  /**
   * flink-apps.yml start: set JARFILE (and, for a streaming job, execution_environment_name) in the run
   * script, then `supervisorctl start`. A job already started counts as done.
   */
  async startJob(type: JobType, jarName: string, executionEnvironmentName = ''): Promise<void> {
    const command = commands.start(type, jarName, executionEnvironmentName)
    const r = await this.exec(command)
    if (r.exitCode !== 0 && !supervisorSaid(r.stdout, SUPERVISOR_ERRORS.alreadyStarted)) {
      throw new MasterCommandError(command, r.exitCode, r.stderr, r.stdout)
    }
  }

  /**
   * `supervisorctl stop` (a job not running counts as stopped); for a streaming job, then cancel the
   * Flink jobs named `executionEnvironmentName`, as the original's run_streaming_job.sh does on exit
   * (skipped for an empty name, as there). Answers the ids cancelled.
   */
  async stopJob(type: JobType, executionEnvironmentName = ''): Promise<{ cancelled: string[] }> {
    const command = commands.stop(type)
    const r = await this.exec(command)
    if (r.exitCode !== 0 && !supervisorSaid(r.stdout, SUPERVISOR_ERRORS.notRunning)) {
      throw new MasterCommandError(command, r.exitCode, r.stderr, r.stdout)
    }
    const cancelled: string[] = []
    if (type !== 'streaming' || executionEnvironmentName === '') return { cancelled }
    for (const job of await this.flinkJobs()) {
      if (job.name !== executionEnvironmentName) continue
      const cancel = commands.flinkCancel(job.id)
      this.expect(cancel, await this.exec(cancel))
      cancelled.push(job.id)
    }
    return { cancelled }
  }

  /** `supervisorctl status` of the job (it exits 3 when the job is not running: not an error here). */
  async jobStatus(type: JobType): Promise<SupervisorStatus> {
    const command = commands.status(type)
    const r = await this.exec(command)
    const status = parseSupervisorStatus(r.stdout)
    if ((r.exitCode !== 0 && r.exitCode !== SUPERVISOR_NOT_RUNNING_EXIT) || !status) {
      throw new MasterCommandError(command, r.exitCode, r.stderr, r.stdout)
    }
    return status
  }

  /** The running and restarting Flink jobs (`flink list -r`). */
  async flinkJobs(): Promise<FlinkJobLine[]> {
    const command = commands.flinkList()
    return parseFlinkList(this.expect(command, await this.exec(command)).stdout)
  }

  /** End the connection (commands still running are cut). */
  async close(): Promise<void> {
    const client = this.#client
    if (this.#closed) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy()
        resolve()
      }, 2_000)
      client.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      client.end()
    })
  }

  /**
   * Run one command line, with `stdin` streamed to it (then EOF). Resolves with its exit code and
   * output whatever the code; rejects only when the connection fails or the command stalls.
   */
  exec(command: string, stdin?: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<ExecResult> {
    return this.run(command, stdin)
  }

  private run(command: string, stdin?: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sent?: (bytes: number) => void): Promise<ExecResult> {
    const { host, port } = this
    let source: Readable | undefined
    try {
      source = stdin === undefined || stdin instanceof Readable ? stdin : Readable.from(stdin)
    } catch (err) {
      return Promise.reject(err) // not a byte source: the caller's bug, before anything runs remotely
    }
    return new Promise<ExecResult>((resolve, reject) => {
      let exitCode: number | undefined
      let signal: string | undefined
      let stdout = ''
      let stderr = ''
      let sourceError: Error | undefined
      let channelClosed = false
      let timer: NodeJS.Timeout | undefined
      let done = false
      const finish = (err: Error | undefined) => {
        if (done) return
        done = true
        clearTimeout(timer)
        // A source nobody will read to the end (a failed start, an early exit) is released, so a Pithos
        // download behind it does not hold its connection open.
        if (source && !source.readableEnded) source.destroy()
        if (err) reject(err)
        else resolve({ exitCode: exitCode!, stdout, stderr })
      }
      const lost = (reason: ConnectionFailure, what: string) => {
        const cause = this.#lostBecause ? ` (${this.#lostBecause.message})` : ''
        return new MasterConnectionError(reason, `${what}: ${command}${cause}`, host, port)
      }
      let channel: ssh2.ClientChannel | undefined
      const idle = () => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          finish(lost('timeout', `no progress for ${this.idleTimeoutMs} ms`))
          channel?.destroy()
        }, this.idleTimeoutMs)
      }
      idle()
      try {
        this.#client.exec(command, (err, ch) => {
          if (err) return finish(lost(this.#lostBecause ? 'closed' : 'network', `could not start (${err.message})`))
          channel = ch
          if (done) return ch.destroy()
          ch.on('data', (d: Buffer) => {
            idle()
            if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8')
          })
          ch.stderr.on('data', (d: Buffer) => {
            idle()
            if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8')
          })
          ch.on('exit', (code: number | null, sig?: string) => {
            if (typeof code === 'number') exitCode = code
            else signal = sig ?? 'unknown signal'
          })
          ch.on('close', () => {
            channelClosed = true
            if (exitCode !== undefined) return finish(undefined)
            if (sourceError) return finish(sourceError)
            finish(lost('closed', signal ? `killed by ${signal}` : 'connection lost during'))
          })
          if (source === undefined) {
            ch.end()
            return
          }
          const meter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              idle()
              sent?.(chunk.length)
              cb(null, chunk)
            },
          })
          // A source failing first (Pithos dropped the download) is the error to report; the pipeline
          // then closes the channel (upload() never commits such a transfer). An early exit (the command
          // failed) closes the channel under the pipeline instead: its exit code says why.
          source.once('error', (err: Error) => {
            if (!channelClosed && exitCode === undefined) sourceError ??= err
          })
          pipeline(source, meter, ch, () => {})
        })
      } catch (err) {
        finish(lost('closed', `could not start (${(err as Error).message})`))
      }
    })
  }

  private expect(command: string, r: ExecResult): ExecResult {
    if (r.exitCode !== 0) throw new MasterCommandError(command, r.exitCode, r.stderr, r.stdout)
    return r
  }
}

function connectionError(err: Error & { level?: string; code?: string }, host: string, port: number): MasterConnectionError {
  if (err.level === 'client-authentication') return new MasterConnectionError('auth', 'the master refused the key', host, port)
  if (err.level === 'client-timeout') return new MasterConnectionError('timeout', err.message, host, port)
  return new MasterConnectionError('network', err.code ? `${err.code}: ${err.message}` : err.message, host, port)
}
