import t from 'tap'
import { ConfigError } from '../../src/app/config-errors.js'
import { checkReactorsConfig, loadConfig, loadDatabaseUrl } from '../../src/app/config.js'

// A bad variable stops the service with a message that says what it must be and what it was.

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

t.test('defaults need no variable at all', async (t) => {
  t.match(loadConfig({}), { PORT: 8080, LOD_SYNC: 'full', LOD_SSE_HEARTBEAT_SECONDS: 15 })
})

t.test('each bad value is named with what it must be', async (t) => {
  t.same(problems({ PORT: 'abc' }), ["PORT must be an integer from 0 to 65535, got 'abc'"])
  t.same(problems({ PORT: '70000' }), ["PORT must be an integer from 0 to 65535, got '70000'"])
  t.same(problems({ LOD_SYNC: 'fast' }), ["LOD_SYNC must be one of full, normal, got 'fast'"])
  t.same(problems({ LOD_TRUST_PROXY: 'maybe' }), ["LOD_TRUST_PROXY must be true or false, got 'maybe'"])
  t.same(problems({ LOD_OKEANOS_TIMEOUT_MS: '5' }), ["LOD_OKEANOS_TIMEOUT_MS must be an integer of at least 100, got '5'"])
  t.same(problems({ LOD_OKEANOS_IDENTITY_URL: 'accounts.okeanos.grnet.gr' }), [
    "LOD_OKEANOS_IDENTITY_URL must be an http:// or https:// URL, got 'accounts.okeanos.grnet.gr'",
  ])
  t.same(problems({ LOD_SSE_HEARTBEAT_SECONDS: '0' }), ["LOD_SSE_HEARTBEAT_SECONDS must be an integer from 1 to 3600, got '0'"])
})

t.test('every bad variable is reported at once, and a secret is never echoed', async (t) => {
  const error = t.throws(() => loadConfig({ PORT: '-1', LOD_LOG_LEVEL: 'loud', LOD_SECRET_KEY: 'hunter2' })) as ConfigError
  t.same(error.problems, [
    "PORT must be an integer from 0 to 65535, got '-1'",
    "LOD_SECRET_KEY must be 32 bytes in base64 (44 characters ending in \"=\"), got a value of 7 characters",
    'LOD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got \'loud\'',
  ])
  t.notMatch(error.message, 'hunter2')
  t.match(error.message, /^Invalid configuration \(see README "Configuration"\):\n {2}PORT/)
})

t.test('the timeouts and the limits on event streams: defaults, and each bad value named', async (t) => {
  t.match(loadConfig({}), {
    LOD_HEADERS_TIMEOUT_SECONDS: 20,
    LOD_BODY_TIMEOUT_SECONDS: 30,
    LOD_KEEP_ALIVE_TIMEOUT_SECONDS: 72,
    LOD_UPLOAD_TIMEOUT_SECONDS: 3600,
    LOD_SSE_MAX_STREAMS_PER_OWNER: 20,
    LOD_SSE_MAX_STREAMS: 1000,
  })
  t.match(loadConfig({ LOD_BODY_TIMEOUT_SECONDS: '5', LOD_SSE_MAX_STREAMS: '50' }), { LOD_BODY_TIMEOUT_SECONDS: 5, LOD_SSE_MAX_STREAMS: 50 })
  t.same(
    problems({
      LOD_HEADERS_TIMEOUT_SECONDS: '0',
      LOD_BODY_TIMEOUT_SECONDS: 'soon',
      LOD_KEEP_ALIVE_TIMEOUT_SECONDS: '-1',
      LOD_UPLOAD_TIMEOUT_SECONDS: '100000',
      LOD_SSE_MAX_STREAMS_PER_OWNER: '0',
      LOD_SSE_MAX_STREAMS: '1.5',
    }),
    [
      "LOD_HEADERS_TIMEOUT_SECONDS must be an integer from 1 to 600, got '0'",
      "LOD_BODY_TIMEOUT_SECONDS must be an integer from 1 to 3600, got 'soon'",
      "LOD_KEEP_ALIVE_TIMEOUT_SECONDS must be an integer from 1 to 3600, got '-1'",
      "LOD_SSE_MAX_STREAMS_PER_OWNER must be an integer of at least 1, got '0'",
      "LOD_SSE_MAX_STREAMS must be an integer of at least 1, got '1.5'",
      "LOD_UPLOAD_TIMEOUT_SECONDS must be an integer from 1 to 86400, got '100000'",
    ],
  )
})

t.test('the shared database: a postgres URL, never echoed, and the key every node seals the secrets with', async (t) => {
  const key = 'A'.repeat(43) + '='
  t.match(loadConfig({ LOD_DATABASE_URL: 'postgresql://lod@db.example/lod', LOD_SECRET_KEY: key }), { LOD_DATABASE_URL: 'postgresql://lod@db.example/lod' })
  t.match(loadConfig({ LOD_DATABASE_URL: 'postgres://lod:pw@10.0.0.5:5432/lod?sslmode=require', LOD_SECRET_KEY: key }), { LOD_REACTORS: 'on' })
  t.match(loadConfig({ LOD_DATABASE_URL: 'host=db-1,db-2 dbname=lod user=lod', LOD_SECRET_KEY: key }), { LOD_DATABASE_URL: 'host=db-1,db-2 dbname=lod user=lod' })
  t.equal(loadConfig({}).LOD_DATABASE_URL, undefined, 'unset: the SQLite files')
  t.same(problems({ LOD_DATABASE_URL: 'mysql://lod:hunter2@db/lod', LOD_SECRET_KEY: key }), [
    'LOD_DATABASE_URL must be a postgres:// or postgresql:// URL, or key=value settings, got a value of 26 characters',
  ])
  t.same(problems({ LOD_DATABASE_URL: 'postgresql://lod@db.example/lod' }), [
    'LOD_SECRET_KEY must be set with LOD_DATABASE_URL (every node seals the shared secret store with it), got nothing',
  ])
})

t.test("the operator's commands: the log's URL checked alike, without the key or the service's other settings", async (t) => {
  t.equal(loadDatabaseUrl({ LOD_DATABASE_URL: 'postgresql://lod@db.example/lod', PORT: 'not a port' }), 'postgresql://lod@db.example/lod')
  t.equal(loadDatabaseUrl({}), undefined, 'unset: the SQLite file')
  const error = t.throws(() => loadDatabaseUrl({ LOD_DATABASE_URL: 'mysql://lod:hunter2@db/lod' })) as ConfigError
  t.same(error.problems, ['LOD_DATABASE_URL must be a postgres:// or postgresql:// URL, or key=value settings, got a value of 26 characters'])
})

t.test('a reactor process: its own port, and told where the API and ~okeanos are', async (t) => {
  t.match(loadConfig({}), { LOD_REACTORS: 'on', LOD_REACTORS_PORT: 8081 })
  t.match(loadConfig({ LOD_REACTORS: 'off', LOD_REACTORS_PORT: '9464' }), { LOD_REACTORS: 'off', LOD_REACTORS_PORT: 9464 })
  t.same(problems({ LOD_REACTORS: 'later' }), ["LOD_REACTORS must be one of on, off, got 'later'"])
  t.same(problems({ LOD_REACTORS_PORT: 'metrics' }), ["LOD_REACTORS_PORT must be an integer from 0 to 65535, got 'metrics'"])
  const reactorProblems = (env: Record<string, string>) => {
    try {
      checkReactorsConfig(loadConfig(env))
    } catch (error) {
      if (error instanceof ConfigError) return error.problems
      throw error
    }
    return []
  }
  t.same(reactorProblems({}), [
    'LOD_PUBLIC_URL must be set for lod reactors (where the service VMs reach the API), got nothing',
    "LOD_OKEANOS_IDENTITY_URL must be set for lod reactors (the ~okeanos of the API nodes, e.g. a `lod emulator`'s), got nothing",
  ])
  t.same(reactorProblems({ LOD_PUBLIC_URL: 'http://api.example', LOD_OKEANOS_IDENTITY_URL: 'http://127.0.0.1:9300/identity/v2.0' }), [])
})

t.test("LOD_READ_WAIT_MS: how long a GET waits for the read models, 2 s unless set, at most a minute", async (t) => {
  t.match(loadConfig({}), { LOD_READ_WAIT_MS: 2000 })
  t.match(loadConfig({ LOD_READ_WAIT_MS: '0' }), { LOD_READ_WAIT_MS: 0 })
  t.same(problems({ LOD_READ_WAIT_MS: '-5' }), ["LOD_READ_WAIT_MS must be an integer from 0 to 60000, got '-5'"])
  t.same(problems({ LOD_READ_WAIT_MS: 'long' }), ["LOD_READ_WAIT_MS must be an integer from 0 to 60000, got 'long'"])
})

t.test("LOD_WORKER_NAME: the reactors' name on the job queue, unset unless given, one word", async (t) => {
  t.equal(loadConfig({}).LOD_WORKER_NAME, undefined)
  t.match(loadConfig({ LOD_WORKER_NAME: 'lod-1/reactors-b' }), { LOD_WORKER_NAME: 'lod-1/reactors-b' })
  t.same(problems({ LOD_WORKER_NAME: 'two words' }), ["LOD_WORKER_NAME must be a name of 1 to 200 characters without spaces, got 'two words'"])
  t.same(problems({ LOD_WORKER_NAME: '' }), ["LOD_WORKER_NAME must be a name of 1 to 200 characters without spaces, got ''"])
})

t.test('LOD_JOB_LEASE_MS: how long a killed worker holds its jobs, 30 s unless set, from 1 s to 10 minutes', async (t) => {
  t.match(loadConfig({}), { LOD_JOB_LEASE_MS: 30_000 })
  t.match(loadConfig({ LOD_JOB_LEASE_MS: '3000' }), { LOD_JOB_LEASE_MS: 3000 })
  t.same(problems({ LOD_JOB_LEASE_MS: '500' }), ["LOD_JOB_LEASE_MS must be an integer from 1000 to 600000, got '500'"])
})
