import t, { type Test } from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Okeanos } from '../../src/okeanos/index.js'
import { demoUsers, fastDelays, startEmulator, type Emulator } from '../../src/okeanos/emulator/index.js'
import { createBody } from '../support/fixtures.js'
import { freePort, startLod, stopLod } from '../support/lod-process.js'
import { freshPostgresDatabase } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { waitUntil } from '../support/wait.js'

// An API-only node (`lod serve` with LOD_REACTORS=off) and a reactor process (`lod reactors`), each a process of
// its own, on one log: the SQLite files of one data directory, or one PostgreSQL with a data directory (read
// models) each. The API node takes the requests and does nothing on ~okeanos; the reactor process, which serves
// no API, builds the clusters; the service VMs report to the API node, and both hear of each other's commits.

async function nodes(t: Test, emulator: Emulator, postgres: boolean) {
  const [port, reactorsPort] = [await freePort(), await freePort()]
  const shared = {
    ...process.env,
    LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOD_LOG_LEVEL: 'silent',
    LOD_REACTOR_POLL_MS: '50',
    PORT: String(port),
    LOD_REACTORS_PORT: String(reactorsPort),
    ...(postgres && { LOD_DATABASE_URL: await freshPostgresDatabase() }),
  }
  const dataDir = tempDir(t)
  const children: ChildProcess[] = []
  t.teardown(async () => {
    for (const child of children) await stopLod(child)
  })
  const api = `http://127.0.0.1:${port}`
  const reactors = `http://127.0.0.1:${reactorsPort}`
  children.push(await startLod('serve', { ...shared, LOD_DATA_DIR: dataDir, LOD_REACTORS: 'off' }, 'is listening on'))
  return {
    api,
    reactors,
    async startReactors() {
      const reactorsDir = postgres ? tempDir(t) : dataDir
      children.push(await startLod('reactors', { ...shared, LOD_DATA_DIR: reactorsDir }, 'reactors are running'))
    },
    async stopAll() {
      for (const child of children.splice(0)) t.equal(await stopLod(child), 0, 'stopped cleanly')
    },
  }
}

for (const postgres of [false, true]) {
  t.test(`on ${postgres ? 'PostgreSQL' : 'SQLite'}: an API-only node and a reactor process build a cluster`, async (t) => {
    const emulator = await startEmulator({ users: demoUsers(), delays: fastDelays })
    t.teardown(() => emulator.close())
    const alice = emulator.users[0]!
    const ok = await Okeanos.connect(emulator.identityUrl, alice.token)
    const serversOf = async (id: string) => (await ok.compute.listServers()).filter((server) => server.metadata?.lod_instance === id)
    const n = await nodes(t, emulator, postgres)
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Token ${alice.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      return { status: response.status, text: await response.text() }
    }
    const create = async () => {
      const reply = await call(n.api, 'POST', '/api/lambda-instance/', { ...createBody, slaves: 1, public_key_name: ['alice-laptop'] })
      t.equal(reply.status, 202, reply.text)
      return JSON.parse(reply.text).data[0].id as string
    }
    const statusOf = async (id: string) => JSON.parse((await call(n.api, 'GET', `/api/lambda-instances/${id}/?filter=status`)).text).data[0].status.message as string
    const started = (id: string) =>
      waitUntil(
        () => `instance ${id} to be STARTED`,
        async () => {
          const status = await statusOf(id)
          return status === 'STARTED' || status.endsWith('FAILED') ? status : undefined
        },
        30_000,
      )

    const early = await create()
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.same([await statusOf(early), (await serversOf(early)).length], ['PENDING', 0], 'the API-only node acts on nothing')
    t.notMatch((await call(n.api, 'GET', '/metrics')).text, /lod_reactor_jobs\{/)

    await n.startReactors()
    t.equal(await started(early), 'STARTED', 'asked for before the reactor process started: found at its start')
    const late = await create()
    t.equal(await started(late), 'STARTED', 'asked for while it runs: heard of from the log')
    for (const id of [early, late])
      t.same((await serversOf(id)).map((server) => server.metadata.lod_role).sort(), ['master', 'slave-1'], 'one master, one slave')

    t.equal((await call(n.reactors, 'GET', '/api/lambda-instances/')).status, 404, 'the reactor process serves no API')
    t.match(await call(n.reactors, 'GET', '/readyz'), { status: 200 })
    t.match((await call(n.reactors, 'GET', '/metrics')).text, /lod_reactor_jobs\{state="done"\} [1-9]/)
    await n.stopAll()
  })
}
