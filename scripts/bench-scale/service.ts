import { measure, type Load } from '../bench/measure.js'
import type { ChildServer } from '../bench/servers.js'
import { registerInstance, statusUpdates } from '../bench/status-updates.js'
import { sequential, type Latency } from './latency.js'

// What one log size is measured by, against a running service: appends (status updates of one instance, sent
// one at a time: the commit's latency), details of the user's instances in turn and the first page of their
// list, each one at a time (latency) and from 10 connections (throughput).

export interface Probe {
  latency: Latency
  rps: number
}

export interface Probes {
  append: Probe
  details: Probe
  list: Probe
}

export async function probe(service: ChildServer, token: string, userInstances: string[], seconds: number): Promise<Probes> {
  const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' }
  const appendLoad = statusUpdates([await registerInstance(service.url, headers, 'scale-probe')], headers)
  const detailsPath = (i: number) => `/api/lambda-instances/${userInstances[i % userInstances.length]}/`
  const listPath = '/api/lambda-instances/?limit=10'
  const count = 300
  const get = (path: string) => fetch(`${service.url}${path}`, { headers })

  let next = 0
  const detailsLoad: Load = { method: 'GET', path: detailsPath(0), headers, nextPath: () => detailsPath(next++) }
  const listLoad: Load = { method: 'GET', path: listPath, headers }
  const run = async (load: Load) => (await measure(service, load, seconds, 10)).rps

  const append = {
    latency: await sequential(count, () => fetch(`${service.url}${appendLoad.path}`, { method: 'POST', headers, body: appendLoad.body!() })),
    rps: await run(appendLoad),
  }
  const details = { latency: await sequential(count * 3, (i) => get(detailsPath(i))), rps: await run(detailsLoad) }
  const list = { latency: await sequential(count * 3, () => get(listPath)), rps: await run(listLoad) }
  return { append, details, list }
}
