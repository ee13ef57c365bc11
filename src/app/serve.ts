import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Config } from './config.js'
import { loggerOptions } from '../platform/http/logging.js'
import { listenUrl } from '../platform/http/links.js'
import type { Emulator } from '../okeanos/emulator/index.js'
import { privateDir } from '../platform/private-files.js'
import { createService, type Service, type ServiceOptions } from './service.js'

// `lod serve` / `npm start`: the service on its embedded defaults — the SQLite log in LOD_DATA_DIR (or the
// PostgreSQL of LOD_DATABASE_URL) and, unless LOD_OKEANOS_IDENTITY_URL points at a real ~okeanos, an embedded
// emulator with demo users; the reactors run in it unless LOD_REACTORS=off. `lod reactors`: the reactors alone,
// beside API-only nodes on the same log, with their health and metrics on a port of their own.

/** LOD_SECRET_KEY, or a key made once and kept beside the data (fine on a laptop; set the variable in production).
 *  Written whole elsewhere, then linked into place (which fails if it is there): processes starting at once on
 *  one data directory keep the same key, and none reads a file half written. */
function secretKey(config: Config): Buffer {
  if (config.LOD_SECRET_KEY) return Buffer.from(config.LOD_SECRET_KEY, 'base64')
  const path = join(config.LOD_DATA_DIR, 'secret.key')
  const draft = `${path}.${process.pid}`
  writeFileSync(draft, randomBytes(32).toString('base64'), { mode: 0o600 })
  try {
    linkSync(draft, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(draft)
  }
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')
}

export interface Running {
  service: Service
  emulator: Emulator | undefined
  url: string
  stop(): Promise<void>
}

async function startEmbeddedEmulator(port: number): Promise<Emulator> {
  const { demoUsers, fastDelays, startEmulator } = await import('../okeanos/emulator/index.js')
  return startEmulator({ port, users: demoUsers(), delays: fastDelays })
}

/** What the configuration says of the service, API and reactors alike. */
function serviceOptions(config: Config, emulator: Emulator | undefined): ServiceOptions {
  return {
    dataDir: config.LOD_DATA_DIR,
    ...(config.LOD_DATABASE_URL !== undefined && { databaseUrl: config.LOD_DATABASE_URL }),
    identityUrl: config.LOD_OKEANOS_IDENTITY_URL ?? emulator!.identityUrl,
    secretKey: secretKey(config),
    authCacheTtlMs: config.LOD_AUTH_CACHE_SECONDS * 1000,
    authNegativeCacheTtlMs: config.LOD_AUTH_NEGATIVE_CACHE_SECONDS * 1000,
    okeanosTimeoutMs: config.LOD_OKEANOS_TIMEOUT_MS,
    bodyLimit: config.LOD_BODY_LIMIT_BYTES,
    synchronous: config.LOD_SYNC,
    trustProxy: config.LOD_TRUST_PROXY,
    ...(config.LOD_PUBLIC_URL !== undefined && { publicUrl: config.LOD_PUBLIC_URL }),
    // Silent is no logger at all: a silent pino still makes a child logger for every request.
    logger: config.LOD_LOG_LEVEL === 'silent' ? false : loggerOptions(config.LOD_LOG_LEVEL),
    sseHeartbeatMs: config.LOD_SSE_HEARTBEAT_SECONDS * 1000,
    sseMaxStreamsPerOwner: config.LOD_SSE_MAX_STREAMS_PER_OWNER,
    sseMaxStreams: config.LOD_SSE_MAX_STREAMS,
    readWaitMs: config.LOD_READ_WAIT_MS,
    timeouts: {
      headersMs: config.LOD_HEADERS_TIMEOUT_SECONDS * 1000,
      bodyMs: config.LOD_BODY_TIMEOUT_SECONDS * 1000,
      uploadMs: config.LOD_UPLOAD_TIMEOUT_SECONDS * 1000,
      keepAliveMs: config.LOD_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    },
    reactors: {
      ...(config.LOD_WORKER_NAME !== undefined && { worker: config.LOD_WORKER_NAME }),
      leaseMs: config.LOD_JOB_LEASE_MS,
      concurrency: config.LOD_REACTOR_CONCURRENCY,
      buildTimeoutMs: config.LOD_BUILD_TIMEOUT_SECONDS * 1000,
      masterImageId: config.LOD_MASTER_IMAGE_ID,
      slaveImageId: config.LOD_SLAVE_IMAGE_ID,
      // The embedded emulator builds in milliseconds; ~okeanos in minutes.
      pollIntervalMs: config.LOD_REACTOR_POLL_MS ?? (emulator ? 100 : 1_000),
      backoffMs: emulator ? 100 : 500,
      // The emulator's masters share one SSH server on a local port; ~okeanos masters listen on their public IP.
      ssh: emulator ? { host: '127.0.0.1', port: emulator.sshPort } : { port: 22 },
    },
    webhooks: {
      allowPrivate: config.LOD_WEBHOOKS_ALLOW_PRIVATE,
      schedule: { firstRetryMs: config.LOD_WEBHOOK_RETRY_BASE_MS, retryForMs: config.LOD_WEBHOOK_RETRY_FOR_SECONDS * 1000 },
    },
    uploadLimit: config.LOD_UPLOAD_LIMIT_BYTES,
    uploadIdleTimeoutMs: config.LOD_UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
  }
}

/** Where the data is, in words (never the database URL: it may carry a password). */
const dataIn = (config: Config) => `${config.LOD_DATABASE_URL ? 'log in PostgreSQL, read models' : 'data'} in ${config.LOD_DATA_DIR}`

/** A port this process cannot listen on: the operator's to fix, said in one line. */
export class PortUnavailableError extends Error {}

const whyNot: Record<string, string> = {
  EADDRINUSE: 'another process listens there',
  EACCES: 'this user may not listen there',
  EADDRNOTAVAIL: 'this machine has no such address',
}

/** Listens, or closes the service and says which setting to change. */
async function listen(service: Service, port: number, host: string, portSetting: string): Promise<string> {
  try {
    await service.app.listen({ port, host })
  } catch (error) {
    const reason = whyNot[(error as NodeJS.ErrnoException).code ?? '']
    if (!reason) throw error
    await service.close()
    throw new PortUnavailableError(`cannot listen on ${host}:${port}: ${reason}; set ${portSetting} (0: any free port) or HOST`)
  }
  const address = service.app.server.address()
  return typeof address === 'object' && address ? listenUrl(address) : `http://${host}:${port}`
}

export async function serve(config: Config, print: (line: string) => void = console.log): Promise<Running> {
  const startedAt = performance.now()
  privateDir(config.LOD_DATA_DIR)
  // The embedded emulator is loaded only when it runs: against ~okeanos it is dead weight.
  const emulator = config.LOD_OKEANOS_IDENTITY_URL ? undefined : await startEmbeddedEmulator(config.LOD_EMULATOR_PORT)
  const service = await createService(serviceOptions(config, emulator))
  const url = await listen(service, config.PORT, config.HOST, 'PORT').catch(async (error: unknown) => {
    await emulator?.close()
    throw error
  })
  if (config.LOD_REACTORS === 'on') await service.startReactors(config.LOD_PUBLIC_URL ?? url)

  // How long opening the data took, apart from loading the code (which tsx compiles on the fly): bench:scale
  // reads both.
  const now = performance.now()
  print(
    `Lambda on Demand is listening on ${url} (${dataIn(config)}; ` +
      `started in ${Math.round(now - startedAt)} ms, ${Math.round(now)} ms after the process)`,
  )
  print(`Web console: ${(config.LOD_PUBLIC_URL ?? url).replace(/\/$/, '')}/ (open it in a browser and sign in with a ~okeanos token)`)
  if (config.LOD_REACTORS === 'off') print('Reactors off: the jobs on ~okeanos are left to `lod reactors` processes')
  if (emulator) {
    print(`~okeanos: embedded emulator at ${emulator.url} (set LOD_OKEANOS_IDENTITY_URL to use a real one)`)
    print('Demo users (tokens of the emulator, not of ~okeanos):')
    for (const user of emulator.users) print(`  ${user.name.padEnd(22)} uuid ${user.id}  token ${user.token}`)
    const token = emulator.users[0]!.token
    print('Try:')
    print(`  curl -H "Authorization: Token ${token}" ${url}/api/lambda-instances/`)
    print(
      `  curl -X POST -H "Authorization: Token ${token}" -H "Content-Type: application/json" ` +
        `-d '{"project_name":"lambda.grnet.gr","instance_name":"demo","master_name":"demo-master","slaves":1,` +
        `"vcpus_master":2,"vcpus_slave":2,"ram_master":2048,"ram_slave":2048,"disk_master":10,"disk_slave":10}' ` +
        `${url}/api/lambda-instance/`,
    )
  }
  return {
    service,
    emulator,
    url,
    async stop() {
      await service.close()
      await emulator?.close()
    },
  }
}

/** The reactors without the public API: LOD_PUBLIC_URL and LOD_OKEANOS_IDENTITY_URL are set (checkReactorsConfig). */
export async function serveReactors(config: Config, print: (line: string) => void = console.log): Promise<Running> {
  privateDir(config.LOD_DATA_DIR)
  const service = await createService({ ...serviceOptions(config, undefined), publicApi: false })
  const url = await listen(service, config.LOD_REACTORS_PORT, config.HOST, 'LOD_REACTORS_PORT')
  await service.startReactors(config.LOD_PUBLIC_URL!)
  print(`Lambda on Demand reactors are running (${dataIn(config)}; the API at ${config.LOD_PUBLIC_URL}; health and metrics on ${url})`)
  return { service, emulator: undefined, url, stop: () => service.close() }
}
