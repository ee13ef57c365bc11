import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { dataDirOption, UsageError, type Io } from './io.js'

// `lod`: the service's command line. Every command documents itself with --help. Commands return their exit
// code instead of exiting, so tests run them in-process (runCli).
//
// Only the commands' definitions (names, options, help) are loaded up front: each action imports its
// implementation when it runs, so `lod serve` does not load replay's or verify's code (and their dependencies),
// and `--help` loads none of them. Keep it that way: no static import of a command's implementation here.

function positiveInteger(value: string): number {
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'.`)
  return parsed
}

const collect = (value: string, previous: string[] = []) => [...previous, value]

/** Waits for Ctrl-C or SIGTERM, then stops what `serve` or `emulator` started. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        if (stopping) return
        stopping = true
        stop().then(
          () => resolve(0),
          (error) => {
            console.error(error)
            resolve(1)
          },
        )
      })
  })
}

/** The configuration from the environment; a bad one is a usage error, which says what to fix. */
async function configuration(io: Io, { reactors = false } = {}) {
  const { checkReactorsConfig, loadConfig } = await import('../app/config.js')
  try {
    const config = loadConfig(io.env)
    if (reactors) checkReactorsConfig(config)
    return config
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** Rethrows an error of this class as the operator's to fix (one line, no stack), any other as it is. */
const asUsageError = (kind: new (...args: never[]) => Error) => (error: unknown): never => {
  throw error instanceof kind ? new UsageError(error.message) : error
}

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const done = (code: number) => setExitCode(code)
  const program = new Command()
    .name('lod')
    .description('Lambda on Demand: Hadoop/Kafka/Flink clusters on ~okeanos through a REST API, on an event log')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })

  program
    .command('serve')
    .description('Run the API, and the reactors unless LOD_REACTORS=off (configured by environment variables: see README "Configuration")')
    .action(async () => {
      const config = await configuration(io)
      // Only a valid configuration loads the service.
      const { serve, PortUnavailableError } = await import('../app/serve.js')
      const running = await serve(config, io.out).catch(asUsageError(PortUnavailableError))
      done(await untilSignal(running.stop))
    })

  program
    .command('reactors')
    .description(
      'Run the reactors alone, beside API-only nodes on the same log: no public API; /healthz, /readyz and /metrics on LOD_REACTORS_PORT',
    )
    .action(async () => {
      const config = await configuration(io, { reactors: true })
      const { serveReactors, PortUnavailableError } = await import('../app/serve.js')
      const running = await serveReactors(config, io.out).catch(asUsageError(PortUnavailableError))
      done(await untilSignal(running.stop))
    })

  program
    .command('emulator')
    .description('Run a local ~okeanos emulator alone (identity, quotas, compute, network) with the demo users')
    .addOption(new Option('-p, --port <port>', 'port to listen on').default(9300).argParser((v) => Number.parseInt(v, 10)))
    .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1'))
    .action(async (options: { port: number; host: string }) => {
      const { demoUsers, startEmulator } = await import('../okeanos/emulator/index.js')
      const emulator = await startEmulator({ port: options.port, host: options.host, users: demoUsers() })
      io.out(`~okeanos emulator at ${emulator.url}; identity URL ${emulator.identityUrl}; masters' SSH at 127.0.0.1:${emulator.sshPort}`)
      for (const user of emulator.users) io.out(`  ${user.name.padEnd(22)} uuid ${user.id}  token ${user.token}`)
      done(await untilSignal(() => emulator.close()))
    })

  program
    .command('audit')
    .description("An instance's or application's history from the event log: time, event, actor, status before → after, failure message")
    .argument('<id>', 'a lambda instance or application id (or a stream name such as instance-<id>)')
    .option('--json', 'print JSON instead of a table')
    .option(...dataDirOption)
    .action(async (id: string, options: { json?: boolean; dataDir?: string }) => {
      const { audit } = await import('./audit.js')
      done(await audit(io, id, options))
    })

  program
    .command('replay')
    .description('Rebuild every read model as of a past moment into a new SQLite file (the live files are only read)')
    .requiredOption('--as-of <time|position>', 'an ISO time (e.g. 2024-05-01T10:00:00Z) or a log position')
    .requiredOption('-o, --out <file>', 'the SQLite file to write')
    .option('-f, --force', 'replace the output file if it exists')
    .option('--batch-size <events>', 'events per transaction', positiveInteger)
    .option(...dataDirOption)
    .action(async (options: { asOf: string; out: string; force?: boolean; batchSize?: number; dataDir?: string }) => {
      const { replay } = await import('./replay.js')
      done(await replay(io, options))
    })

  const projections = program.command('projections').description('The read models built from the log')
  projections
    .command('rebuild')
    .description('Rebuild live read models from the log, blue/green (new tables, then one swap): safe while the service runs')
    .argument('[name]', 'one read model (default: all)')
    .option('--batch-size <events>', 'events per transaction (the service waits for at most one)', positiveInteger)
    .option(...dataDirOption)
    .action(async (name: string | undefined, options: { batchSize?: number; dataDir?: string }) => {
      const { rebuild } = await import('./projections.js')
      done(await rebuild(io, name, options))
    })
  projections
    .command('status')
    .description("Each read model's version, position and lag behind the log")
    .option(...dataDirOption)
    .action(async (options: { dataDir?: string }) => {
      const { status } = await import('./projections.js')
      done(await status(io, options))
    })

  const events = program.command('events').description('The event log')
  events
    .command('tail')
    .description('The last events of the log; with --follow, each new one as it is committed')
    .option('-n, --lines <count>', 'how many past events to show first', positiveInteger, 20)
    .option('-f, --follow', 'keep printing new events until interrupted')
    .option('-t, --type <type>', 'only this event type (repeatable)', collect)
    .option('-s, --stream <stream>', 'only this stream, or the streams of this id (repeatable)', collect)
    .option('--json', 'one JSON object per line')
    .option('--interval <ms>', 'how often --follow looks for new events (on PostgreSQL, besides being notified of them)', positiveInteger, 250)
    .option(...dataDirOption)
    .action(async (options: { lines: number; follow?: boolean; type?: string[]; stream?: string[]; json?: boolean; interval: number; dataDir?: string }) => {
      const { tail } = await import('./tail.js')
      done(
        await tail(io, {
          lines: options.lines,
          intervalMs: options.interval,
          ...(options.follow !== undefined && { follow: options.follow }),
          ...(options.type !== undefined && { type: options.type }),
          ...(options.stream !== undefined && { stream: options.stream }),
          ...(options.json !== undefined && { json: options.json }),
          ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
        }),
      )
    })

  program
    .command('verify')
    .description("Check the log's invariants and that each read model equals a fresh rebuild; exit code 1 on any difference")
    .option('--json', 'print the report as JSON')
    .option(...dataDirOption)
    .action(async (options: { json?: boolean; dataDir?: string }) => {
      const { verify } = await import('./verify.js')
      done(await verify(io, options))
    })

  return program
}

/** Runs `lod` with these arguments (without `node lod`) and answers its exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = 0
  const program = buildProgram(io, (code) => (exitCode = code))
  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    if (io.signal.aborted) {
      io.err('lod: interrupted')
      return 130
    }
    if (error instanceof UsageError) {
      io.err(`lod: ${error.message}`)
      return error.exitCode
    }
    throw error
  }
}
