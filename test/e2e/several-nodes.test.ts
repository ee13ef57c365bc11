import t, { type Test } from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Okeanos } from '../../src/okeanos/index.js'
import { DEMO_PROJECT_ID, demoUsers, fastDelays, startEmulator, type EmulatorUser } from '../../src/okeanos/emulator/index.js'
import { leftovers } from '../support/cluster.js'
import { createBody } from '../support/fixtures.js'
import { freePort, startLod, stopLod } from '../support/lod-process.js'
import { freshPostgresDatabase, queryPostgres } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { waitUntil } from '../support/wait.js'

// The service as README "Running several nodes" deploys it, each part a process of its own: one PostgreSQL, two
// API-only nodes (a data directory each) and two reactor processes (a worker name each), acting on one ~okeanos.
// Instances are asked for through both API nodes and read through the other one; a reactor process is killed while
// it builds, and the other takes its jobs over once their leases expire. What is built is counted on ~okeanos
// itself (its Cyclades API, by the servers' `lod_instance` metadata), not in our read models.

const leaseMs = 3000
const workers = ['reactors-a', 'reactors-b']

/** Alice and bob, each through both API nodes; a master and one or two slaves. */
const asked = [
  { user: 0, slaves: 1 },
  { user: 0, slaves: 2 },
  { user: 1, slaves: 2 },
  { user: 1, slaves: 1 },
  { user: 0, slaves: 1 },
  { user: 1, slaves: 2 },
]

/** Starts every process at once; each is killed at the end of the test, whatever happened to it. */
async function deployment(t: Test, identityUrl: string) {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const apis = ports.slice(0, 2).map((port) => `http://127.0.0.1:${port}`)
  const databaseUrl = await freshPostgresDatabase()
  const shared = {
    ...process.env,
    LOD_DATABASE_URL: databaseUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_OKEANOS_IDENTITY_URL: identityUrl,
    LOD_LOG_LEVEL: 'silent',
    LOD_REACTOR_POLL_MS: '50',
    LOD_JOB_LEASE_MS: String(leaseMs),
    // Two jobs at a time each: both processes get builds to do, and some wait in the queue.
    LOD_REACTOR_CONCURRENCY: '2',
  }
  const starting = [
    ...apis.map((url, index) =>
      startLod('serve', { ...shared, PORT: String(ports[index]), LOD_PUBLIC_URL: url, LOD_DATA_DIR: tempDir(t), LOD_REACTORS: 'off' }, 'is listening on'),
    ),
    // Each reactor process sends its clusters' service VMs to an API node of its own.
    ...workers.map((worker, index) =>
      startLod(
        'reactors',
        { ...shared, LOD_WORKER_NAME: worker, LOD_REACTORS_PORT: String(ports[2 + index]), LOD_PUBLIC_URL: apis[index], LOD_DATA_DIR: tempDir(t) },
        'reactors are running',
      ),
    ),
  ]
  t.teardown(async () => {
    for (const child of await Promise.allSettled(starting)) if (child.status === 'fulfilled') child.value.kill('SIGKILL')
  })
  const processes = await Promise.all(starting)
  return {
    apis: apis as [string, string],
    databaseUrl,
    processes,
    reactors: new Map(workers.map((worker, index) => [worker, processes[2 + index]!])),
  }
}

async function call(base: string, user: EmulatorUser, method: string, path: string, options: { body?: unknown; position?: string } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Token ${user.token}`,
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.position !== undefined && { 'lod-position': options.position }),
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined, position: response.headers.get('lod-position') }
}

/** A command through one node, then the instance (`id`, or the one it creates) through the other with the
 *  command's position: it has the change. */
async function commandThenRead(t: Test, nodes: [string, string], user: EmulatorUser, command: { method: string; path: string; body?: unknown; id?: string }) {
  const reply = await call(nodes[0], user, command.method, command.path, { body: command.body })
  t.equal(reply.status, 202, `${command.method} ${command.path}: ${JSON.stringify(reply.json)}`)
  t.match(reply.position, /^[1-9]\d*$/, 'the reply says where its events are in the log')
  const id: string = command.id ?? reply.json.data[0].id
  const read = await call(nodes[1], user, 'GET', `/api/lambda-instances/${id}/?filter=status`, { position: reply.position! })
  t.match([read.status, read.json.data?.[0]?.id], [200, id], `read through the other node: ${JSON.stringify(read.json)}`)
  return { id, status: read.json.data[0].status.message as string }
}

interface JobRow {
  stream_id: string
  kind: string
  state: string
  worker: string | null
}

t.test('two API nodes and two reactor processes on one PostgreSQL: a reactor process killed mid-build, every cluster built once and removed', async (t) => {
  const startedAt = performance.now()
  // Builds slow enough to catch a reactor process in the middle of one.
  const emulator = await startEmulator({ users: demoUsers(), delays: { ...fastDelays, build: 1500 } })
  t.teardown(() => emulator.close())
  const users = emulator.users.slice(0, 2)
  const okeanos = await Promise.all(users.map((user) => Okeanos.connect(emulator.identityUrl, user.token)))
  const onOkeanos = () => Promise.all(okeanos.map((ok) => leftovers({ okeanos: async () => ok })))
  const servers = async () => (await Promise.all(okeanos.map((ok) => ok.compute.listServers()))).flat()
  const usage = () => users.map((user) => emulator.usage(DEMO_PROJECT_ID, user.id))
  const [nothing, usageBefore] = [await onOkeanos(), usage()]
  const d = await deployment(t, emulator.identityUrl)
  const jobs = () => queryPostgres<JobRow>(d.databaseUrl, 'SELECT stream_id, kind, state, worker FROM jobs ORDER BY id')
  t.comment(`processes ready after ${Math.round(performance.now() - startedAt)} ms`)

  const small = { vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10 }
  const instances = await Promise.all(
    asked.map(async ({ user, slaves }, index) => {
      const nodes: [string, string] = index % 2 === 0 ? d.apis : [d.apis[1], d.apis[0]]
      const owner = users[user]!
      const body = { ...createBody, ...small, instance_name: `several-nodes-${index}`, slaves, public_key_name: [owner.sshKeys![0]!.name] }
      const { id } = await commandThenRead(t, nodes, owner, { method: 'POST', path: '/api/lambda-instance/', body })
      return { id, user: owner, slaves, nodes }
    }),
  )
  const ids = new Set(instances.map((instance) => instance.id))

  // Mid-build: a reactor process holds a build of which ~okeanos is still building a server.
  let queue: JobRow[] = []
  const killed = await waitUntil(
    () => `a reactor process to hold a build with a server in BUILD: ${JSON.stringify(queue)}`,
    async () => {
      queue = await jobs()
      const building = new Set((await servers()).filter((server) => server.status === 'BUILD').map((server) => server.metadata.lod_instance))
      return queue.find((job) => job.kind === 'provision' && job.state === 'running' && building.has(job.stream_id))?.worker ?? undefined
    },
  )
  const child = d.reactors.get(killed)!
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  const killedAt = performance.now()
  const orphaned = (await jobs()).filter((job) => job.worker === killed)
  t.ok(orphaned.length > 0, `${killed} held ${orphaned.length} job(s) when it was killed`)

  const statusOf = async (instance: (typeof instances)[number]) =>
    (await call(instance.nodes[1], instance.user, 'GET', `/api/lambda-instances/${instance.id}/?filter=status`)).json.data[0].status
  // The service VMs report their stages from the moment the master is up, so an instance may be STARTED before
  // its build has recorded the cluster: its job is over only once it is gone from the queue.
  let statuses: Array<{ message: string }> = []
  await waitUntil(
    () => `every instance to be STARTED and built: ${JSON.stringify({ statuses, queue })}`,
    async () => {
      statuses = await Promise.all(instances.map(statusOf))
      const failed = statuses.find((status) => /FAILED/.test(status.message))
      if (failed) throw new Error(`an instance failed: ${JSON.stringify(failed)}`)
      queue = await jobs()
      return queue.length === 0 && statuses.every((status) => status.message === 'STARTED')
    },
    60_000,
  )
  t.comment(`every instance STARTED and built ${Math.round(performance.now() - killedAt)} ms after the kill`)

  const ours = (await servers()).filter((server) => ids.has(server.metadata?.lod_instance ?? ''))
  for (const instance of instances) {
    const own = ours.filter((server) => server.metadata.lod_instance === instance.id)
    const roles = ['master', ...Array.from({ length: instance.slaves }, (_, index) => `slave-${index + 1}`)]
    t.same(own.map((server) => server.metadata.lod_role).sort(), roles, `instance ${instance.id}: one master and its ${instance.slaves} slave(s)`)
    t.ok(own.every((server) => server.status === 'ACTIVE'), 'all ACTIVE')
  }
  t.same(
    (await onOkeanos()).map((held) => [held.networks.length, held.floatingIps.length]),
    users.map((user) => Array(2).fill(instances.filter((instance) => instance.user === user).length)),
    'a private network and a public IP per instance, none left over from the killed build',
  )

  for (const instance of instances) {
    const path = `/api/lambda-instances/${instance.id}/`
    const destroying = await commandThenRead(t, [instance.nodes[1], instance.nodes[0]], instance.user, { method: 'DELETE', path, id: instance.id })
    t.match(destroying.status, /^DESTROY(ING|ED)$/, 'the other node sees the destroy asked for')
  }
  await waitUntil(
    () => `every instance to be DESTROYED: ${JSON.stringify({ statuses, queue })}`,
    async () => {
      statuses = await Promise.all(instances.map(statusOf))
      queue = await jobs()
      return statuses.every((status) => status.message === 'DESTROYED')
    },
    30_000,
  )
  t.same(await onOkeanos(), nothing, 'no server, network, port or public IP of theirs is left on ~okeanos')
  t.same(usage(), usageBefore, 'the quota usage is back where it was')

  for (const running of d.processes.filter((process: ChildProcess) => process !== child)) t.equal(await stopLod(running), 0, 'stopped cleanly')
  t.comment(`run in ${Math.round(performance.now() - startedAt)} ms`)
})
