import autocannon from 'autocannon'
import { randomUUID } from 'node:crypto'
import { demoUsers } from '../src/okeanos/emulator/index.js'
import { instanceStatusCodes } from '../src/domain/statuses.js'
import { hasTaskset, pinSelf, startChild, type ChildServer } from './bench/servers.js'

// `npm run bench`: the status-update POST and the details GET of this service against a plain Fastify +
// better-sqlite3 CRUD server of the same two endpoints, both durable, measured alternately in one run.
// Prints requests/s, latency and the ratio service/CRUD. Options: BENCH_SECONDS (default 5),
// BENCH_CONNECTIONS (default 10).

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const token = demoUsers()[0]!.token
const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' }
const createBody = {
  project_name: 'lambda.grnet.gr', instance_name: 'bench', master_name: 'bench-master', slaves: 1,
  vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10,
}
// Every status but the two a service VM may not set (DESTROYING, DESTROYED), in a cycle, so that
// consecutive updates differ.
const cycle = instanceStatusCodes.filter((code) => code !== '5' && code !== '6')

async function json(url: string, init: RequestInit): Promise<any> {
  const response = await fetch(url, init)
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`)
  return response.json()
}

async function prepareService(server: ChildServer): Promise<string> {
  const created = await json(`${server.url}/api/lambda-instance/`, { method: 'POST', headers, body: JSON.stringify(createBody) })
  return created.data[0].id
}

async function prepareCrud(server: ChildServer): Promise<string> {
  const id = randomUUID()
  await json(`${server.url}/api/instances`, { method: 'POST', headers, body: JSON.stringify({ id, name: 'bench', instance_info: createBody }) })
  return id
}

interface Result { rps: number; p50: number; p99: number; errors: number }

async function measure(url: string, kind: 'status' | 'details', id: string): Promise<Result> {
  let n = 0
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      kind === 'status'
        ? {
            method: 'POST',
            path: `/api/lambda_instances/${id}/status/`,
            headers,
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ status: cycle[n++ % cycle.length], failure_message: '' }) }),
          }
        : { method: 'GET', path: `/api/lambda-instances/${id}/`, headers },
    ],
  })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors }
}

// The load generator keeps core 0; the server being measured has core 1 to itself (they take turns).
const pin = await hasTaskset()
if (pin) pinSelf(0)
const service = await startChild('src/cli.ts', {}, pin ? 1 : undefined)
const crud = await startChild('scripts/bench/crud-server.ts', { CRUD_TOKEN: token, CRUD_DB: `${service.dataDir}/crud.db` }, pin ? 1 : undefined)
try {
  const serviceId = await prepareService(service)
  const crudId = await prepareCrud(crud)
  console.log(`bench: ${seconds}s per run, ${connections} connections, durable commits on both${pin ? ', the load generator on core 0, the server under test on core 1' : ''}`)
  const fmt = (r: Result) => `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(3)} ms  p99 ${String(r.p99).padStart(3)} ms${r.errors ? `  (${r.errors} non-2xx)` : ''}`
  for (const kind of ['status', 'details'] as const) {
    // Warm both, then measure them one after the other.
    await measure(service.url, kind, serviceId)
    await measure(crud.url, kind, crudId)
    const ours = await measure(service.url, kind, serviceId)
    const theirs = await measure(crud.url, kind, crudId)
    const label = kind === 'status' ? 'status-update POST' : 'details GET       '
    console.log(`${label}  service ${fmt(ours)}`)
    console.log(`${label}  crud    ${fmt(theirs)}`)
    console.log(`${label}  ratio service/crud = ${(ours.rps / theirs.rps).toFixed(2)}`)
  }
} finally {
  await service.stop()
  await crud.stop()
}
