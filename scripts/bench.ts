import { randomUUID } from 'node:crypto'
import { demoUsers } from '../src/okeanos/emulator/index.js'
import { combine, measure, type Load, type Result } from './bench/measure.js'
import { hasTaskset, pinSelf, startChild, type ChildServer } from './bench/servers.js'
import { measureSteal } from './bench/steal.js'
import { statusUpdates } from './bench/status-updates.js'

// `npm run bench`: this service against a plain Fastify + better-sqlite3 CRUD server of the same endpoints
// (scripts/bench/crud-server.ts), both with durable commits, measured alternately in one run, with a Fastify
// hello-world as the ceiling. Endpoints: the status-update POST, the details GET and the list GET with a limit.
// Prints requests/s, p50/p99 latency, the servers' CPU time per request and the ratio service/CRUD.
// BENCH_SECONDS (default 3) per run, BENCH_ROUNDS (default 3) runs of each server per endpoint, taken in turns,
// BENCH_CONNECTIONS (default 10), BENCH_INSTANCES (default 100: the list's user owns that many), BENCH_ONLY (a
// word of the endpoints to measure, e.g. `details`).

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const instances = Number(process.env.BENCH_INSTANCES ?? 100)
const only = process.env.BENCH_ONLY
const limit = 10

const user = demoUsers()[0]!
const headers = { authorization: `Token ${user.token}`, 'content-type': 'application/json' }
const createBody = {
  project_name: 'lambda.grnet.gr', instance_name: 'bench', master_name: 'bench-master', slaves: 1,
  vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10,
}

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<any> {
  const response = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) })
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`)
  return response.json()
}

/** The user's instances on each server, the same on both. */
async function seed(service: ChildServer, crud: ChildServer): Promise<{ service: string[]; crud: string[] }> {
  const ids = { service: [] as string[], crud: [] as string[] }
  for (let i = 0; i < instances; i++) {
    const created = await call('POST', `${service.url}/api/lambda-instance/`, { ...createBody, instance_name: `bench-${i}` })
    const id: string = created.data[0].id
    // What the service stored, defaults filled in: the CRUD server answers the same bytes.
    const details = await call('GET', `${service.url}/api/lambda-instances/${id}/`)
    const { master_node_id: _, ...info } = details.data[0].info.instance_info
    const crudId = randomUUID()
    await call('POST', `${crud.url}/api/instances`, { id: crudId, name: `bench-${i}`, instance_info: info })
    ids.service.push(id)
    ids.crud.push(crudId)
  }
  return ids
}

/** The status updates go to one instance (they share group commits); the details go round all of them. */
function loads(ids: string[]): Record<string, Load> {
  let next = 0
  const details = (i: number) => `/api/lambda-instances/${ids[i % ids.length]}/`
  return {
    'status-update POST': statusUpdates(ids[0]!, headers),
    'details GET': { method: 'GET', path: details(0), headers, nextPath: () => details(next++) },
    [`list GET ?limit=${limit}`]: { method: 'GET', path: `/api/lambda-instances/?limit=${limit}`, headers },
  }
}

const fmt = (r: Result) =>
  `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms  ` +
  `CPU ${r.cpuUs.toFixed(0).padStart(4)} µs/req` +
  (r.errors ? `  (non-2xx: ${Object.entries(r.failures).map(([code, n]) => `${n}× ${code}`).join(', ')})` : '')

// The load generator keeps core 0; the server being measured has core 1 to itself (they take turns).
const pin = await hasTaskset()
if (pin) pinSelf(0)
const core = pin ? 1 : undefined
const hello = await startChild('scripts/bench/hello-server.ts', {}, { ...(core !== undefined && { core }) })
const service = await startChild('src/cli.ts', {}, { ...(core !== undefined && { core }) })
const crud = await startChild(
  'scripts/bench/crud-server.ts',
  { CRUD_TOKEN: user.token, CRUD_OWNER: user.id, CRUD_DB: `${service.dataDir}/crud.db` },
  { ...(core !== undefined && { core }) },
)
const steal = measureSteal()
try {
  const ids = await seed(service, crud)
  console.log(
    `bench: ${rounds} rounds × ${seconds} s per server and endpoint, taken in turns; ${connections} connections; ` +
      `durable commits on both (WAL, synchronous=FULL); the user owns ${instances} instances, the details go round them, the status updates go to one` +
      (pin ? '; load generator on core 0, the server under test on core 1' : ''),
  )
  const ceilingLoad: Load = { method: 'GET', path: '/', headers: {} }
  await measure(hello, ceilingLoad, 1, connections)
  const ceiling: Result[] = []
  for (let round = 0; round < rounds; round++) ceiling.push(await measure(hello, ceilingLoad, seconds, connections))
  console.log(`${'hello-world GET (ceiling)'.padEnd(24)} fastify ${fmt(combine(ceiling))}`)
  const serviceLoads = loads(ids.service)
  const crudLoads = loads(ids.crud)
  const verdicts: string[] = []
  for (const name of Object.keys(serviceLoads).filter((name) => !only || name.includes(only))) {
    // Warm both (the JIT), then measure them in turns.
    await measure(service, serviceLoads[name]!, seconds, connections)
    await measure(crud, crudLoads[name]!, seconds, connections)
    const ours: Result[] = []
    const theirs: Result[] = []
    for (let round = 0; round < rounds; round++) {
      ours.push(await measure(service, serviceLoads[name]!, seconds, connections))
      theirs.push(await measure(crud, crudLoads[name]!, seconds, connections))
    }
    const a = combine(ours)
    const b = combine(theirs)
    // A server that fails requests answers faster than one that serves them: such a ratio means nothing.
    for (const [server, result] of [['service', a], ['crud', b]] as const) {
      const broken = Object.keys(result.failures).filter((code) => code.startsWith('5') || code === 'error')
      if (broken.length > 0) throw new Error(`${name}: the ${server} server failed requests (${broken.join(', ')}): no comparison`)
    }
    const ratio = a.rps / b.rps
    console.log(`${name.padEnd(24)} service ${fmt(a)}`)
    console.log(`${''.padEnd(24)} crud    ${fmt(b)}`)
    console.log(`${''.padEnd(24)} ratio service/crud = ${ratio.toFixed(2)} req/s, ${(b.cpuUs / a.cpuUs).toFixed(2)} by CPU per request`)
    verdicts.push(`${name}: ${ratio.toFixed(2)} ${ratio >= 1 ? '(≥ 1.0: met)' : '(≥ 1.0: NOT met)'}`)
  }
  console.log(`target ratio ≥ 1.0 — ${verdicts.join('; ')}`)
  console.log(steal())
} finally {
  await Promise.all([service.stop(), crud.stop(), hello.stop()])
}
