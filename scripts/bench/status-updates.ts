import { randomUUID } from 'node:crypto'
import { instanceStatusCodes } from '../../src/instances/statuses.js'
import type { Load } from './measure.js'

// The status-update POST the instances' own VMs send, as the benchmarks load it, and an instance to send it to.

// Every status but the two a service VM may not set (DESTROYING, DESTROYED), in a cycle, so that consecutive
// updates differ.
const cycle = instanceStatusCodes.filter((code) => code !== '5' && code !== '6')

/** The status of the n-th update in the cycle. */
export const cycledStatus = (n: number) => cycle[n % cycle.length]!

/** Status updates going round the given instances, each instance's to the next status of the cycle. `nextPath`
 *  (called before `body`) names the instance of the update `body` makes; a load of one instance needs only `body`. */
export function statusUpdates(ids: string[], headers: Record<string, string>): Load {
  let sent = 0
  const path = (n: number) => `/api/lambda_instances/${ids[n % ids.length]}/status/`
  return {
    method: 'POST',
    path: path(0),
    headers,
    nextPath: () => path(sent),
    body: () => JSON.stringify({ status: cycledStatus(1 + Math.floor(sent++ / ids.length)), failure_message: '' }),
  }
}

/** A record registered through the status family: no reactor job follows it, only its status updates. */
export async function registerInstance(url: string, headers: Record<string, string>, name: string, instanceInfo: object | string = '{}'): Promise<string> {
  const id = randomUUID()
  const registered = await fetch(`${url}/api/lambda_instances/`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ uuid: id, name, instance_info: instanceInfo, status: '2' }),
  })
  if (registered.status !== 202) throw new Error(`register on ${url}: ${registered.status} ${await registered.text()}`)
  return id
}
