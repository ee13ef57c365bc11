import t from 'tap'
import { DEMO_PROJECT_ID, GiB, MiB } from '../../src/okeanos/emulator/index.js'
import { leftovers, startCluster } from '../support/cluster.js'

// A quota shortfall for each resource ends in CLUSTER_FAILED with the original's message, touches nothing on
// ~okeanos, and the failed instance can be destroyed.

const small = { slaves: 1, vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10 }
const cases = [
  ['cyclades.vm', 1, 'Cyclades VMs out of limit'],
  ['cyclades.cpu', 3, 'Cyclades cpu out of limit'],
  ['cyclades.ram', 4095 * MiB, 'Cyclades ram out of limit'],
  ['cyclades.disk', 19 * GiB, 'Cyclades disk out of limit'],
  ['cyclades.floating_ip', 0, 'authorized IPs out of limit'],
  ['cyclades.network.private', 0, 'Private Network out of limit'],
] as const

t.test('each resource short by one', async (t) => {
  const c = await startCluster(t)
  for (const [resource, limit, message] of cases) {
    c.emulator.reset()
    c.emulator.setProjectQuota(DEMO_PROJECT_ID, { limits: { [resource]: limit } })
    const id = await c.create(small)
    t.same(await c.waitFor(id, ['CLUSTER_FAILED', 'STARTED']), {
      code: '11',
      message: 'CLUSTER_FAILED',
      detail: '~okeanos cluster build has failed',
      failure_message: message,
    }, resource)
    t.same(await leftovers(c), { servers: [], networks: [], floatingIps: [], ports: [] }, `${resource}: nothing was created`)
    t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
    t.equal((await c.waitFor(id, ['DESTROYED', 'FAILED'])).message, 'DESTROYED', `${resource}: destroyed`)
  }
})

t.test('an unknown project fails the build with a clear message', async (t) => {
  const c = await startCluster(t)
  const id = await c.create({ ...small, project_name: 'no-such-project' })
  t.match(await c.waitFor(id, ['CLUSTER_FAILED', 'STARTED']), { message: 'CLUSTER_FAILED', failure_message: '~okeanos project no-such-project is not available to you.' })
})
