import { Command, Option } from 'commander'
import { loadConfig } from './config.js'
import { serve } from './serve.js'
import { demoUsers, startEmulator } from './okeanos/emulator/index.js'

// `lod`: the service's command line. Every command documents itself with --help.

function onSignals(stop: () => Promise<void>): void {
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      if (stopping) return
      stopping = true
      stop().then(
        () => process.exit(0),
        (error) => {
          console.error(error)
          process.exit(1)
        },
      )
    })
}

const program = new Command()
  .name('lod')
  .description('Lambda on Demand: Hadoop/Kafka/Flink clusters on ~okeanos through a REST API')
  .showHelpAfterError()

program
  .command('serve')
  .description('Run the API (configured by environment variables: see README "Configuration")')
  .action(async () => {
    let config
    try {
      config = loadConfig()
    } catch (error) {
      console.error(`Invalid configuration: ${(error as Error).message}`)
      process.exit(2)
    }
    const running = await serve(config)
    onSignals(running.stop)
  })

program
  .command('emulator')
  .description('Run a local ~okeanos emulator alone (identity, quotas, compute, network) with the demo users')
  .addOption(new Option('-p, --port <port>', 'port to listen on').default(9300).argParser((v) => Number.parseInt(v, 10)))
  .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1'))
  .action(async (options: { port: number; host: string }) => {
    const emulator = await startEmulator({ port: options.port, host: options.host, users: demoUsers() })
    console.log(`~okeanos emulator at ${emulator.url}; identity URL ${emulator.identityUrl}`)
    for (const user of emulator.users) console.log(`  ${user.name.padEnd(22)} uuid ${user.id}  token ${user.token}`)
    onSignals(() => emulator.close())
  })

await program.parseAsync(process.argv)
