import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { demoUsers } from '../src/okeanos/emulator/index.js'
import { combine, measure, type Load, type Result } from './bench/measure.js'
import { join } from 'node:path'
import { hasTaskset, pinSelf, runScript, startChild, type ChildServer } from './bench/servers.js'
import { measureSteal } from './bench/steal.js'
import { registerInstance, statusUpdates } from './bench/status-updates.js'

// `npm run bench`: this service at the defaults of `npm start` (info logging, reactors on, durable commits)
// against a plain Fastify + better-sqlite3 CRUD server of the same endpoints (scripts/bench/crud-server.ts),
// once with synchronous=NORMAL (no fsync: the faster baseline) and once with FULL (durable, like the service),
// measured in turns in one run, with a Fastify hello-world as the ceiling. Endpoints: the status-update POST
// and the details GET, both round the user's instances, and a page of the list GET.
// Prints requests/s, p50/p99 latency, the servers' CPU time per request, every ratio and the targets, the floor of a
// status POST and of a details GET on the server's core (floorLine), and which targets are above the ceiling.
// BENCH_SECONDS (default 3) per run, BENCH_ROUNDS (default 3) runs of each server per endpoint, taken in turns,
// BENCH_CONNECTIONS (default 50), BENCH_INSTANCES (default 1000: the user owns that many), BENCH_ONLY (a
// word of the endpoints to measure, e.g. `details`), BENCH_SERVICE_ENV (settings for the service, e.g.
// `LOD_LOG_LEVEL=warn`, to measure a tuned configuration: the output then says so), BENCH_CPU_PROF (a folder:
// the service writes a V8 CPU profile there when it stops, for Chrome DevTools; best with BENCH_ONLY).

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const instances = Number(process.env.BENCH_INSTANCES ?? 1000)
const only = process.env.BENCH_ONLY
const serviceEnv = Object.fromEntries(
  (process.env.BENCH_SERVICE_ENV ?? '').split(/\s+/).filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]),
)
const limit = 20
const offset = 100

const user = demoUsers()[0]!
const headers = { authorization: `Token ${user.token}`, 'content-type': 'application/json' }
async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<any> {
  const response = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) })
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`)
  return response.json()
}

/**
 * The user's instances on every server, the same on each. They are registered records (the status family's
 * create), not builds: with the reactors on, a thousand builds would still be running on the embedded ~okeanos
 * while we measure, and would exceed its quotas.
 */
async function seed(service: ChildServer, cruds: ChildServer[]): Promise<{ service: string[]; crud: string[] }> {
  const ids = { service: [] as string[], crud: [] as string[] }
  const one = async (i: number) => {
    const info = { project: 'lambda.grnet.gr', master_name: `bench-${i}-master`, slaves: 1, vcpus_master: 2, vcpus_slave: 2 }
    const id = await registerInstance(service.url, headers, `bench-${i}`, info)
    // What the service stored: the CRUD servers answer the same bytes.
    const details = await call('GET', `${service.url}/api/lambda-instances/${id}/`)
    const { master_node_id: _, ...stored } = details.data[0].info.instance_info
    const crudId = randomUUID()
    for (const crud of cruds) await call('POST', `${crud.url}/api/instances`, { id: crudId, name: `bench-${i}`, instance_info: stored })
    ids.service[i] = id
    ids.crud[i] = crudId
  }
  for (let i = 0; i < instances; i += 10) await Promise.all(Array.from({ length: Math.min(10, instances - i) }, (_, k) => one(i + k)))
  return ids
}

/** Status updates and details go round all the instances; an instance's next update is the next status of the cycle. */
function loads(ids: string[]): Record<string, Load> {
  let reads = 0
  const details = (i: number) => `/api/lambda-instances/${ids[i % ids.length]}/`
  return {
    'status-update POST': statusUpdates(ids, headers),
    'details GET': { method: 'GET', path: details(0), headers, nextPath: () => details(reads++) },
    [`list GET ?limit=${limit}&offset=${offset}`]: { method: 'GET', path: `/api/lambda-instances/?limit=${limit}&offset=${offset}`, headers },
  }
}

const fmt = (r: Result) =>
  `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms  ` +
  `CPU ${r.cpuUs.toFixed(0).padStart(4)} µs/req` +
  (r.errors ? `  (non-2xx: ${Object.entries(r.failures).map(([code, n]) => `${n}× ${code}`).join(', ')})` : '')

/** What each endpoint should reach against the CRUD server that does not fsync, and against the ceiling. */
const targets: Record<string, { crud: number; ceiling?: number }> = {
  'status-update POST': { crud: 1.0, ceiling: 0.3 },
  'details GET': { crud: 1.5, ceiling: 0.6 },
  list: { crud: 2.0 },
}
const targetOf = (name: string) => targets[name] ?? targets[name.split(' ')[0]!]!
const verdict = (ratio: number, target: number) => `${ratio.toFixed(2)} (target ≥ ${target.toFixed(1)}: ${ratio >= target ? 'met' : 'NOT met'})`

let floorParts: { appendUs: number; logLineUs: number } | undefined

/**
 * The least a status POST or a details GET costs on the server's core, against the CRUD server's whole request:
 * Fastify answering a constant, plus, for the POST, the service's durable append alone in group commits as large as
 * the connections allow, plus its access-log line (scripts/bench/floor.ts, run once, after the POSTs: it copies
 * what they appended). Every other part of the request (its body, its checks, the decision, the read model) only
 * adds to it, so the CRUD server's CPU per request over it bounds the ratio one core allows, whatever the
 * service's code.
 */
function floorLine(name: string, ceiling: Result, normal: Result): string | undefined {
  const post = name === 'status-update POST'
  if (!post && name !== 'details GET') return undefined
  floorParts ??= JSON.parse(runScript('scripts/bench/floor.ts', [join(service.dataDir, 'events.db'), String(connections)], on.core))
  const { appendUs, logLineUs } = floorParts!
  const parts: Array<[string, number]> = [
    ['Fastify answering a constant', ceiling.cpuUs],
    ...(post ? [[`the durable append alone (groups of ${connections})`, appendUs] as [string, number]] : []),
    ['the access-log line', logLineUs],
  ]
  const floor = parts.reduce((sum, [, us]) => sum + us, 0)
  return (
    `${''.padEnd(30)} floor by CPU: ${parts.map(([what, us]) => `${what} ${us.toFixed(0)} µs`).join(' + ')} = ${floor.toFixed(0)} µs/req; ` +
    `crud NORMAL ${normal.cpuUs.toFixed(0)} µs/req: at most ${(normal.cpuUs / floor).toFixed(2)} of it on one core`
  )
}

// The load generator keeps core 0; the server being measured has core 1 to itself (they take turns).
const pin = await hasTaskset()
if (pin) pinSelf(0)
const on = pin ? { core: 1 } : {}
const hello = await startChild('scripts/bench/hello-server.ts', {}, on)
const profile = process.env.BENCH_CPU_PROF
const service = await startChild('src/cli.ts', serviceEnv, { ...on, ...(profile && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profile}`] }) })
const crudEnv = (synchronous: string) => ({
  CRUD_TOKEN: user.token, CRUD_OWNER: user.id, CRUD_DB: `${service.dataDir}/crud-${synchronous}.db`, CRUD_SYNCHRONOUS: synchronous,
})
const crudNormal = await startChild('scripts/bench/crud-server.ts', crudEnv('NORMAL'), on)
const crudFull = await startChild('scripts/bench/crud-server.ts', crudEnv('FULL'), on)
const steal = measureSteal()
try {
  const ids = await seed(service, [crudNormal, crudFull])
  const tuned = Object.keys(serviceEnv).length > 0
  console.log(
    `bench: the service ${tuned ? `TUNED (${process.env.BENCH_SERVICE_ENV})` : "at npm start's defaults (info logging to a file, reactors on, durable commits)"}; ` +
      `${rounds} rounds × ${seconds} s per server and endpoint, taken in turns; ${connections} connections; ` +
      `the user owns ${instances} instances, the status updates and details go round them` +
      (pin ? '; load generator on core 0, the server under test on core 1' : ''),
  )
  const ceilingLoad: Load = { method: 'GET', path: '/', headers: {} }
  await measure(hello, ceilingLoad, 1, connections)
  const ceilingRounds: Result[] = []
  for (let round = 0; round < rounds; round++) ceilingRounds.push(await measure(hello, ceilingLoad, seconds, connections))
  const ceiling = combine(ceilingRounds)
  console.log(`${'hello-world GET (ceiling)'.padEnd(30)} fastify      ${fmt(ceiling)}`)
  const servers = [
    { label: 'service     ', server: service, loads: loads(ids.service) },
    { label: 'crud NORMAL ', server: crudNormal, loads: loads(ids.crud) },
    { label: 'crud FULL   ', server: crudFull, loads: loads(ids.crud) },
  ]
  const verdicts: string[] = []
  for (const name of Object.keys(servers[0]!.loads).filter((name) => !only || name.includes(only))) {
    // Warm each (the JIT), then measure them in turns.
    for (const { server, loads } of servers) await measure(server, loads[name]!, seconds, connections)
    const measured: Result[][] = servers.map(() => [])
    for (let round = 0; round < rounds; round++)
      for (const [i, { server, loads }] of servers.entries()) measured[i]!.push(await measure(server, loads[name]!, seconds, connections))
    const [ours, normal, full] = measured.map(combine) as [Result, Result, Result]
    // A server that fails requests answers faster than one that serves them: such a ratio means nothing.
    for (const [i, result] of [ours, normal, full].entries()) {
      const broken = Object.keys(result.failures).filter((code) => code.startsWith('5') || code === 'error')
      if (broken.length > 0) throw new Error(`${name}: ${servers[i]!.label.trim()} failed requests (${broken.join(', ')}): no comparison`)
    }
    for (const [i, result] of [ours, normal, full].entries()) console.log(`${(i === 0 ? name : '').padEnd(30)} ${servers[i]!.label} ${fmt(result)}`)
    const target = targetOf(name)
    const versusNormal = ours.rps / normal.rps
    console.log(
      `${''.padEnd(30)} ratio service/crud NORMAL ${verdict(versusNormal, target.crud)}, by CPU per request ${(normal.cpuUs / ours.cpuUs).toFixed(2)}; ` +
        `service/crud FULL ${(ours.rps / full.rps).toFixed(2)}; service/ceiling ${(ours.rps / ceiling.rps).toFixed(2)}` +
        (target.ceiling ? ` (stretch ≥ ${target.ceiling}: ${ours.rps / ceiling.rps >= target.ceiling ? 'met' : 'not met'})` : ''),
    )
    verdicts.push(`${name}: ${verdict(versusNormal, target.crud)}`)
    const floor = floorLine(name, ceiling, normal)
    if (floor) console.log(floor)
    // No endpoint can be served faster than Fastify answers a constant.
    if (target.crud * normal.rps > ceiling.rps)
      console.log(
        `${''.padEnd(30)} the target is above the ceiling: ${target.crud.toFixed(1)} × crud NORMAL = ` +
          `${(target.crud * normal.rps).toFixed(0)} req/s > Fastify answering a constant ${ceiling.rps.toFixed(0)} req/s`,
      )
  }
  console.log(`against crud NORMAL — ${verdicts.join('; ')}`)
  console.log(`the service's log: ${(statSync(service.outputFile).size / 1e6).toFixed(0)} MB written during the run`)
  console.log(steal())
} finally {
  await Promise.all([service.stop(), crudNormal.stop(), crudFull.stop(), hello.stop()])
}
