import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'

// Configuration comes from environment variables only, validated at start (README "Configuration").

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port of the API.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on; 0.0.0.0 for every interface.' }),
  LOD_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Directory of events.db, read.db, secrets.db.' }),
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
})
export type Config = Static<typeof ConfigSchema>

/** Throws an Error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return envSchema<Config>({ schema: ConfigSchema, data: env, dotenv: false })
}
