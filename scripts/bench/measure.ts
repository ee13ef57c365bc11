import autocannon from 'autocannon'

// One load run with autocannon against a server, and what the server spent on it.

export interface Load {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  /** A new body for every request (status updates must differ from the current status). */
  body?: () => string
  /** A new path for every request (requests that go round the instances); called before body(). */
  nextPath?: () => string
}

export interface Result {
  rps: number
  p50: number
  p99: number
  /** Answers other than 2xx, and connection errors. */
  errors: number
  /** The answers other than 2xx, by status code. */
  failures: Record<string, number>
  requests: number
  /** The server's CPU time per answered request: steadier than req/s on a machine that is doing other work. */
  cpuUs: number
}

export interface Target {
  url: string
  cpuMs(): number
}

export async function measure(target: Target, load: Load, seconds: number, connections: number): Promise<Result> {
  const { body, nextPath } = load
  const cpuBefore = target.cpuMs()
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: load.method,
        path: load.path,
        headers: load.headers,
        ...((body || nextPath) && {
          setupRequest: (request: autocannon.Request) => ({
            ...request,
            ...(nextPath && { path: nextPath() }),
            ...(body && { body: body() }),
          }),
        }),
      },
    ],
  })
  const cpuMs = target.cpuMs() - cpuBefore
  const requests = result.requests.total
  const failures: Record<string, number> = {}
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {}))
    if (!code.startsWith('2') && stats.count) failures[code] = stats.count
  if (result.errors) failures.error = result.errors
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
    failures,
    requests,
    cpuUs: requests > 0 ? (cpuMs * 1000) / requests : 0,
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Rounds of one server on one endpoint: mean req/s, median latencies, CPU over all requests. */
export function combine(rounds: Result[]): Result {
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0)
  return {
    rps: rounds.reduce((sum, r) => sum + r.rps, 0) / rounds.length,
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    failures: rounds.reduce<Record<string, number>>((all, r) => {
      for (const [code, count] of Object.entries(r.failures)) all[code] = (all[code] ?? 0) + count
      return all
    }, {}),
    requests,
    cpuUs: requests > 0 ? rounds.reduce((sum, r) => sum + r.cpuUs * r.requests, 0) / requests : 0,
  }
}
