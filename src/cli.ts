import { runCli } from './cli/program.js'

// `lod` (bin/lod.js): the command line on the real process: stdout, stderr, Ctrl-C.

// What lod writes (the data directory, a replay's file, a rebuild's tables) is its user's alone.
process.umask(0o077)

const abort = new AbortController()
// `serve` and `emulator` stop themselves on a signal; the other commands stop between two steps (replay and
// rebuild clean up what they started). A second Ctrl-C does not wait.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (abort.signal.aborted) process.exit(130)
    abort.abort()
  })

// `lod events tail | head`: a reader that went away is the end of the output, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr,
  signal: abort.signal,
  env: process.env,
})
