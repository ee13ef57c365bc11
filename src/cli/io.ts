// What a command talks to: its output lines, the stream its progress bar draws on, and a signal that stops a
// command that runs until interrupted (`events tail --follow`). Tests pass their own to run commands in-process.
// The commands' definitions (program.ts) import this file on every run, `--help` included: keep it free of the
// service's modules (dataDir, which needs them, is in data-dir.ts).

export interface Io {
  out(line: string): void
  err(line: string): void
  /** Where progress bars draw: stderr, drawn only when it is a terminal. */
  progress: NodeJS.WritableStream & { isTTY?: boolean }
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
  env: NodeJS.ProcessEnv
}

/** A command's failure that is the operator's to fix: printed without a stack trace, exit code 2 by default. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

export const dataDirOption = ['-d, --data-dir <dir>', 'the service\'s data directory (default: $LOD_DATA_DIR or ./data)'] as const

