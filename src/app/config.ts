import envSchema from 'env-schema'
import { Type, type Static, type TObject } from 'typebox'
import { ConfigError, configProblems } from './config-errors.js'

// Configuration comes from environment variables only, validated at start (README "Configuration").

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port of the API.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on; 0.0.0.0 for every interface.' }),
  LOD_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Directory of events.db, read.db, secrets.db.' }),
  LOD_DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^(postgres(ql)?://\\S+|\\w+=\\S*( +\\w+=\\S*)*)$',
      description: 'PostgreSQL that every node shares (events, idempotency records, secrets); unset: SQLite files in LOD_DATA_DIR.',
    }),
  ),
  LOD_OKEANOS_IDENTITY_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]+$', description: '~okeanos identity (Astakos) URL; unset: an embedded emulator.' }),
  ),
  LOD_SECRET_KEY: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: '32 bytes, base64: encrypts the secret store.' }),
  ),
  LOD_AUTH_CACHE_SECONDS: Type.Integer({ minimum: 0, default: 60, description: 'How long a valid token is trusted.' }),
  LOD_AUTH_NEGATIVE_CACHE_SECONDS: Type.Integer({ minimum: 0, default: 10, description: 'How long an invalid token is remembered.' }),
  LOD_OKEANOS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'Timeout of every ~okeanos call.' }),
  LOD_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest command body.' }),
  // The timeouts' defaults are argued in src/platform/http/timeouts.ts.
  LOD_HEADERS_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 600,
    default: 20,
    description: 'How long a client may take to send the headers of a request (also a new connection its first one); then 408.',
  }),
  LOD_BODY_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 30,
    description: 'How long a command body may take to arrive whole, from the end of its headers; then 408 and the connection closed.',
  }),
  LOD_KEEP_ALIVE_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 72,
    description: "How long an idle connection waits for the client's next request.",
  }),
  LOD_READ_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 2000,
    description: "How long a GET waits for this node's read models to reach the log's head or the request's LoD-Position; then 503.",
  }),
  LOD_SYNC: Type.Union([Type.Literal('full'), Type.Literal('normal')], {
    default: 'full',
    description: "'full': an acknowledged command survives power loss; 'normal': process crashes only.",
  }),
  LOD_LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'Log level.' },
  ),
  LOD_TRUST_PROXY: Type.Boolean({ default: false, description: 'Trust X-Forwarded-* (behind a reverse proxy).' }),
  LOD_EMULATOR_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0, description: 'Port of the embedded emulator; 0: any free port.' }),
  LOD_SSE_HEARTBEAT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 15, description: 'Time between the heartbeats of a Server-Sent Events stream.' }),
  // Each stream holds a socket and a subscription to the log until its client leaves.
  LOD_SSE_MAX_STREAMS_PER_OWNER: Type.Integer({ minimum: 1, default: 20, description: 'Server-Sent Events streams one owner may have open at once; beyond, 429.' }),
  LOD_SSE_MAX_STREAMS: Type.Integer({ minimum: 1, default: 1000, description: 'Server-Sent Events streams open at once in all; beyond, 503.' }),
  LOD_PUBLIC_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]+$', description: "Where the service VMs reach this API; default: the address it listens on." }),
  ),
  LOD_REACTORS: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description: "'off': an API-only node, which accepts commands and leaves acting on ~okeanos to `lod reactors` processes.",
  }),
  LOD_REACTORS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'HTTP port of `lod reactors` (/healthz, /readyz, /metrics).' }),
  LOD_UPLOAD_LIMIT_BYTES: Type.Integer({ minimum: 1, default: 268_435_456, description: 'Largest application upload (default 256 MB, as the original).' }),
  LOD_UPLOAD_IDLE_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 30,
    description: 'How long an upload may send nothing before it is abandoned (408) and its partial file removed.',
  }),
  LOD_UPLOAD_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86_400,
    default: 3600,
    description: 'How long an upload (any request) may take to arrive whole, however steadily it sends; then 408.',
  }),
  // A worker's name is how the job queue knows what it holds; the default is made in src/app/reactors.ts.
  LOD_WORKER_NAME: Type.Optional(
    Type.String({
      pattern: '^\\S{1,200}$',
      description: "The reactors' name on the job queue, the same across restarts and unlike any other process's; default: the host's name and LOD_DATA_DIR.",
    }),
  ),
  LOD_JOB_LEASE_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 30_000,
    description: 'How long a job stays held without a heartbeat (its process killed) before any other worker takes it over.',
  }),
  LOD_REACTOR_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 8, description: 'Jobs on ~okeanos running at once.' }),
  LOD_REACTOR_POLL_MS: Type.Optional(
    Type.Integer({ minimum: 10, description: 'How often jobs poll ~okeanos while servers change state; default 1000 (100 with the embedded emulator).' }),
  ),
  LOD_BUILD_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, default: 600, description: 'How long a server may take to build, start or stop.' }),
  LOD_MASTER_IMAGE_ID: Type.String({ minLength: 1, default: '0ad78ab6-d3cd-42c9-8922-9cf63bbb7539', description: 'Image of the master VM.' }),
  LOD_WEBHOOKS_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'Let webhooks send to loopback, private and link-local addresses (development and tests only: it lets users reach your internal network).',
  }),
  LOD_WEBHOOK_RETRY_BASE_MS: Type.Integer({
    minimum: 1,
    default: 5000,
    description: "A failing webhook delivery's first retry delay; the later ones are multiples of it (6, 24, 120, 360, 720, then 2160: 30 s … 3 h).",
  }),
  LOD_WEBHOOK_RETRY_FOR_SECONDS: Type.Integer({
    minimum: 1,
    default: 86_400,
    description: 'How long after its first attempt a failing webhook delivery is retried before it is marked failed.',
  }),
  LOD_SLAVE_IMAGE_ID: Type.String({ minLength: 1, default: '0ad78ab6-d3cd-42c9-8922-9cf63bbb7539', description: 'Image of the slave VMs.' }),
})
export type Config = Static<typeof ConfigSchema>

/** The variables of `schema`, with their defaults; a ConfigError says, for every bad one, what it must be and what it was. */
function validated<S extends TObject>(schema: S, env: NodeJS.ProcessEnv): Static<S> {
  try {
    return envSchema<Static<S>>({ schema, data: env, env: false, dotenv: false })
  } catch (error) {
    const problems = configProblems(schema.properties, (error as { errors?: [] }).errors ?? [], env)
    throw problems.length > 0 ? new ConfigError(problems) : error
  }
}

/** Throws a ConfigError saying, for every bad variable, what it must be and what it was. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = validated(ConfigSchema, env)
  // A key made beside each node's data would seal what one node keeps so that no other can open it.
  if (config.LOD_DATABASE_URL !== undefined && config.LOD_SECRET_KEY === undefined)
    throw new ConfigError(['LOD_SECRET_KEY must be set with LOD_DATABASE_URL (every node seals the shared secret store with it), got nothing'])
  return config
}

/** `lod reactors` serves no API and embeds no emulator: it must be told where the API and ~okeanos are. */
export function checkReactorsConfig(config: Config): void {
  const problems = [
    ...(config.LOD_PUBLIC_URL === undefined ? ['LOD_PUBLIC_URL must be set for lod reactors (where the service VMs reach the API), got nothing'] : []),
    ...(config.LOD_OKEANOS_IDENTITY_URL === undefined
      ? ["LOD_OKEANOS_IDENTITY_URL must be set for lod reactors (the ~okeanos of the API nodes, e.g. a `lod emulator`'s), got nothing"]
      : []),
  ]
  if (problems.length > 0) throw new ConfigError(problems)
}

const LogLocationSchema = Type.Pick(ConfigSchema, ['LOD_DATABASE_URL'])

/** Which log the operator's commands (src/cli) read, as the service chooses it: the PostgreSQL of LOD_DATABASE_URL,
 *  checked as loadConfig checks it, or (undefined) the SQLite file of the data directory. They append nothing and
 *  open no secret, so they need no LOD_SECRET_KEY, and the service's other settings are not theirs to check. */
export function loadDatabaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return validated(LogLocationSchema, env).LOD_DATABASE_URL
}
