/**
 * Runs one exec request on a master VM as `bash -c` would: parse the line (the shell subset of
 * src/cluster/commands.ts), run the simple commands of an `&&` list in order, stop at the first
 * non-zero exit. Each program changes the VM as it goes, like a real shell (no rollback).
 */
import type { Readable } from 'node:stream'
import { ShellSyntaxError, parseCommandLine } from '../../cluster/commands.js'
import type { BlobStore } from './blobs.js'
import { PROGRAMS, StdinAborted, type Io } from './master-programs.js'
import type { MasterVm } from './master-vm.js'

export interface ExecOutcome {
  exitCode: number
  stdout: string
  stderr: string
}

/** Undefined when reading stdin failed mid-upload (nothing was changed; there is nobody to answer). */
export async function execute(
  vm: MasterVm,
  line: string,
  stdin: Readable | undefined,
  env: { blobs: BlobStore; jobId: () => string },
): Promise<ExecOutcome | undefined> {
  let stdout = ''
  let stderr = ''
  const io: Io = {
    stdin,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    blobs: env.blobs,
    jobId: env.jobId,
  }
  let list
  try {
    list = parseCommandLine(line)
  } catch (err) {
    if (!(err instanceof ShellSyntaxError)) throw err
    return { exitCode: 2, stdout, stderr: `bash: -c: line 1: ${err.message}\n` }
  }
  let exitCode = 0
  for (const cmd of list) {
    const name = cmd.argv[0]!
    const program = PROGRAMS[name]
    if (!program) {
      io.stderr(`bash: ${name}: command not found\n`)
      exitCode = 127
      break
    }
    try {
      exitCode = await program(vm, cmd, io)
    } catch (err) {
      if (err instanceof StdinAborted) return undefined
      throw err
    }
    if (exitCode !== 0) break
  }
  return { exitCode, stdout, stderr }
}
