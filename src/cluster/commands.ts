/**
 * The exact shell commands LoD runs on a cluster's master over SSH, in one place so that the client
 * (`master.ts`) and the emulator's master VMs (`okeanos/emulator/master-exec.ts`) agree on them.
 *
 * They reproduce the original's effects (docs/original.md "Applications"): deploy = scp of the jar to /home/flink,
 * withdraw = rm, start/stop = the flink-apps.yml playbook (set JARFILE, and for streaming jobs
 * execution_environment_name, in /home/flink/run_{batch,streaming}_job.sh, then `supervisorctl
 * start|stop flink_{batch,streaming}_job`), and the `flink list` / `flink cancel` of a streaming stop.
 *
 * Every argument is single-quoted, so names never reach the shell unquoted. Jar names are restricted
 * to a safe alphabet because the run scripts use `$JARFILE` unquoted (`flink run $JARFILE`).
 */

import { isValidJarName } from '../applications/jar-name.js'

export type JobType = 'batch' | 'streaming'

/** Home of the flink user on the master: run scripts and deployed jars. */
export const FLINK_HOME = '/home/flink'
/** The Flink CLI as the original's scripts call it. */
export const FLINK_BIN = '/usr/local/flink/bin/flink'

export const SUPERVISOR_JOB: Readonly<Record<JobType, string>> = {
  batch: 'flink_batch_job',
  streaming: 'flink_streaming_job',
}

export const RUN_SCRIPT: Readonly<Record<JobType, string>> = {
  batch: `${FLINK_HOME}/run_batch_job.sh`,
  streaming: `${FLINK_HOME}/run_streaming_job.sh`,
}

/** A name the commands refuse (not a shell problem we could quote away: see the module comment). */
export class InvalidNameError extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(`invalid ${what}: ${JSON.stringify(value.slice(0, 100))}`)
    this.name = 'InvalidNameError'
  }
}

export { isValidJarName }

export function assertJarName(name: string): string {
  if (!isValidJarName(name)) throw new InvalidNameError('jar name', name)
  return name
}

/** `/home/flink/<name>`, the place a deployed jar lives (as the original's scp target). */
export function jarPath(name: string): string {
  return `${FLINK_HOME}/${assertJarName(name)}`
}

/** An absolute path whose every segment is a plain name (no `.`/`..`, no empty segment). */
export function assertRemotePath(path: string): string {
  const parts = path.split('/')
  if (parts[0] !== '' || parts.length < 2 || parts.slice(1).some((p) => !/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(p))) {
    throw new InvalidNameError('remote path', path)
  }
  return path
}

/** Where an upload is written before it is renamed into place, so a cut transfer never looks deployed. */
export function partialPath(path: string): string {
  const i = assertRemotePath(path).lastIndexOf('/')
  return `${path.slice(0, i)}/.${path.slice(i + 1)}.part`
}

/** POSIX single quoting: safe for any byte string except NUL. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new InvalidNameError('shell argument', s)
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A bash double-quoted string literal (what the original's lineinfile writes for the environment name). */
export function bashDoubleQuote(s: string): string {
  return `"${s.replace(/[\\"$`]/g, '\\$&')}"`
}

/** Escape a sed `s|…|…|` replacement: backslash, `&` and the `|` delimiter. */
function sedReplacement(s: string): string {
  return s.replace(/[\\&|]/g, '\\$&')
}

/** `sed -i 's|^<key>=.*$|<line>|' <file>`: the effect of the original's lineinfile. */
function setLine(file: string, keyRegex: string, line: string): string {
  if (/[\n\r]/.test(line)) throw new InvalidNameError('script value', line)
  return `sed -i ${shellQuote(`s|^${keyRegex}=.*$|${sedReplacement(line)}|`)} ${shellQuote(file)}`
}

/** A Flink job id as `flink list` prints it. */
export const FLINK_JOB_ID = /^[0-9a-f]{32}$/

/** The command lines, built from validated arguments. */
export const commands = {
  /**
   * Reads the file from stdin into its partial path. A separate command (`commitUpload`) renames it
   * into place, sent only once the client knows every byte went through: sshd gives `cat` an EOF
   * even when the client breaks off, so `cat > f && mv` could publish a truncated jar. A cut upload
   * may leave the hidden partial file behind (the client's `discardUpload` can race the remote `cat`);
   * the next upload overwrites it and `remove` deletes it.
   */
  upload(path: string): string {
    return `cat > ${shellQuote(partialPath(path))}`
  },
  commitUpload(path: string): string {
    return `mv -f ${shellQuote(partialPath(path))} ${shellQuote(path)}`
  },
  discardUpload(path: string): string {
    return `rm -f ${shellQuote(partialPath(path))}`
  },
  /** The file and any partial upload of it (a cut transfer can leave one: see `upload`). */
  remove(path: string): string {
    return `rm -f ${shellQuote(assertRemotePath(path))} ${shellQuote(partialPath(path))}`
  },
  /** Exit 0 if a regular file exists, 1 if not. */
  exists(path: string): string {
    return `test -f ${shellQuote(assertRemotePath(path))}`
  },
  list(dir: string): string {
    return `ls -1 ${shellQuote(assertRemotePath(dir))}`
  },
  /** flink-apps.yml start: point the run script at the jar (and name the streaming job), then start it. */
  start(type: JobType, jarName: string, executionEnvironmentName = ''): string {
    const script = RUN_SCRIPT[type]
    const steps = [setLine(script, 'export JARFILE', `export JARFILE=${jarPath(jarName)}`)]
    if (type === 'streaming') {
      steps.push(setLine(script, 'execution_environment_name', `execution_environment_name=${bashDoubleQuote(executionEnvironmentName)}`))
    }
    steps.push(`supervisorctl start ${SUPERVISOR_JOB[type]}`)
    return steps.join(' && ')
  },
  stop(type: JobType): string {
    return `supervisorctl stop ${SUPERVISOR_JOB[type]}`
  },
  status(type: JobType): string {
    return `supervisorctl status ${SUPERVISOR_JOB[type]}`
  },
  /** Running and restarting jobs only. */
  flinkList(): string {
    return `${FLINK_BIN} list -r`
  },
  flinkCancel(jobId: string): string {
    if (!FLINK_JOB_ID.test(jobId)) throw new InvalidNameError('Flink job id', jobId)
    return `${FLINK_BIN} cancel ${jobId}`
  },
} as const

// ---------------------------------------------------------------- parsing (the emulator's side)

/** One simple command: its words, and the file of a `> file` redirection. */
export interface SimpleCommand {
  argv: string[]
  stdoutTo?: string
}

export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ShellSyntaxError'
  }
}

/**
 * The shell subset the commands above use: words with single quotes, double quotes and backslash
 * escapes, `> file`, and `&&` lists. Anything else (pipes, `;`, substitutions) is a syntax error,
 * so the emulator never pretends to run something it does not understand.
 */
export function parseCommandLine(line: string): SimpleCommand[] {
  const list: SimpleCommand[] = []
  let current: SimpleCommand = { argv: [] }
  let redirectNext = false
  let i = 0
  const pushWord = (word: string) => {
    if (redirectNext) {
      current.stdoutTo = word
      redirectNext = false
    } else current.argv.push(word)
  }
  const endCommand = (op: string) => {
    if (redirectNext) throw new ShellSyntaxError(`syntax error near unexpected token \`${op}'`)
    if (current.argv.length === 0) throw new ShellSyntaxError(`syntax error near unexpected token \`${op}'`)
    list.push(current)
    current = { argv: [] }
  }
  while (i < line.length) {
    const c = line[i]!
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '&' && line[i + 1] === '&') {
      endCommand('&&')
      i += 2
      continue
    }
    if (c === '>') {
      if (redirectNext || line[i + 1] === '>') throw new ShellSyntaxError("syntax error near unexpected token `>'")
      redirectNext = true
      i++
      continue
    }
    if ('|;&<()`\n'.includes(c) || (c === '$' && i + 1 < line.length && /[({A-Za-z_]/.test(line[i + 1]!))) {
      throw new ShellSyntaxError(`unsupported shell syntax near \`${c}'`)
    }
    const [word, next] = readWord(line, i)
    pushWord(word)
    i = next
  }
  if (current.argv.length > 0 || redirectNext || current.stdoutTo !== undefined || list.length > 0) endCommand('newline')
  return list
}

/** Reads one word starting at `i`; returns it and the index after it. */
function readWord(line: string, start: number): [string, number] {
  let out = ''
  let i = start
  while (i < line.length) {
    const c = line[i]!
    if (' \t&|;<>()\n'.includes(c)) break
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''")
      out += line.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= line.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'')
        const d = line[i]!
        if (d === '"') break
        if (d === '\\' && i + 1 < line.length && '\\"$`'.includes(line[i + 1]!)) {
          out += line[i + 1]
          i += 2
          continue
        }
        if (d === '$' || d === '`') throw new ShellSyntaxError(`unsupported shell syntax near \`${d}'`)
        out += d
        i++
      }
      i++
    } else if (c === '\\') {
      if (i + 1 < line.length) out += line[i + 1]
      i += 2
    } else if (c === '$' || c === '`') {
      throw new ShellSyntaxError(`unsupported shell syntax near \`${c}'`)
    } else {
      out += c
      i++
    }
  }
  return [out, i]
}

/** The value of a bash assignment's right-hand side (`"a \"b\""` → `a "b"`), as bash would read it. */
export function bashValue(rhs: string): string {
  if (rhs === '') return ''
  const [first] = parseCommandLine(rhs)
  return first?.argv.join(' ') ?? ''
}
