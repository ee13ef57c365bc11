/**
 * The two ways a command on a master fails, kept apart because the reactors treat them differently:
 * the command ran and said no (final, its output says why), or we could not get it to run or to
 * finish (the network, the VM still booting: worth another try).
 */

/** The command ran and exited non-zero. Never carries a key: only the command line and its output. */
export class MasterCommandError extends Error {
  readonly transient = false
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout = '',
  ) {
    super(`'${command}' exited with ${exitCode}${firstLine(stderr || stdout)}`)
    this.name = 'MasterCommandError'
  }
}

export type ConnectionFailure =
  /** The TCP connection or the SSH handshake did not complete in time, or a command did not finish in time. */
  | 'timeout'
  /** Refused, unreachable, reset: nothing listening yet, or the VM went away. */
  | 'network'
  /** The master refused the key. Not worth retrying with the same key. */
  | 'auth'
  /** The connection closed while a command ran: it may or may not have taken effect. */
  | 'closed'

/** We could not reach the master, or lost it. `transient` unless the key was refused. */
export class MasterConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailure,
    message: string,
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port}: ${message}`)
    this.name = 'MasterConnectionError'
  }

  get transient(): boolean {
    return this.reason !== 'auth'
  }
}

function firstLine(s: string): string {
  const line = s.trim().split('\n')[0]
  return line ? `: ${line.slice(0, 300)}` : ''
}
