import { measure, type Load, type Result } from '../bench/measure.js'
import type { ChildServer } from '../bench/servers.js'

// One run of status updates through several nodes at once, the connections split between them, as a load
// balancer in front of them would: the same load whatever the number of nodes.

export interface NodeLoad {
  node: ChildServer
  load: Load
}

/** The nodes' results as one: their req/s added up, the slower node's latencies, CPU per request over all. */
function together(results: Result[]): Result {
  const requests = results.reduce((sum, r) => sum + r.requests, 0)
  const failures: Record<string, number> = {}
  for (const result of results) for (const [code, count] of Object.entries(result.failures)) failures[code] = (failures[code] ?? 0) + count
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0),
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    failures,
    requests,
    cpuUs: requests > 0 ? results.reduce((sum, r) => sum + r.cpuUs * r.requests, 0) / requests : 0,
  }
}

/** `connections` in all, as evenly as they go, each node its own load. */
export async function throughThese(loads: NodeLoad[], seconds: number, connections: number): Promise<Result> {
  const share = (i: number) => Math.floor(connections / loads.length) + (i < connections % loads.length ? 1 : 0)
  const results = await Promise.all(loads.map(({ node, load }, i) => measure(node, load, seconds, share(i))))
  // A node that fails requests answers faster than one that serves them: such a number means nothing.
  const broken = results.flatMap((r) => Object.keys(r.failures)).filter((code) => code.startsWith('5') || code === 'error')
  if (broken.length > 0) throw new Error(`requests failed (${[...new Set(broken)].join(', ')}): no comparison`)
  return together(results)
}
