import t from 'tap'
import { leftovers, startCluster } from '../support/cluster.js'

// Issue acceptance: create → PENDING → CLUSTER_CREATED → … → STARTED; stop; start; destroy; nothing left.

t.test('a lambda instance comes to life on ~okeanos, stops, starts and goes away cleanly', async (t) => {
  const c = await startCluster(t)
  const before = c.usage()
  const nothing = await leftovers(c)
  const id = await c.create({ slaves: 2 })
  t.equal((await c.waitFor(id, ['STARTED', 'CLUSTER_FAILED', 'FAILED'])).message, 'STARTED')
  t.same(await c.statuses(id), ['2', '10', '12', '14', '16', '18', '20', '22', '0'], 'every stage, in order')

  const ok = await c.okeanos()
  const servers = (await ok.compute.listServers()).filter((s) => s.metadata?.lod_instance === id)
  t.same(servers.map((s) => s.metadata.lod_role).sort(), ['master', 'slave-1', 'slave-2'])
  t.same(servers.map((s) => s.status), ['ACTIVE', 'ACTIVE', 'ACTIVE'])
  const details = (await c.api('GET', `/api/lambda-instances/${id}/`)).json.data[0]
  t.equal(details.info.instance_info.master_node_id, servers.find((s) => s.metadata.lod_role === 'master')!.id)
  const master = servers.find((s) => s.metadata.lod_role === 'master')!
  const networks = await ok.network.listNetworks()
  t.ok(networks.some((n) => n.name === `lambda-vpn-${id}`), 'the private network')
  t.equal((await ok.network.listFloatingIps()).filter((ip) => ip.instance_id === String(master.id)).length, 1, 'the public IP is on the master')

  t.equal((await c.api('POST', `/api/lambda-instances/${id}/`, { action: 'stop' })).status, 202)
  t.equal((await c.waitFor(id, ['STOPPED', 'FAILED'])).message, 'STOPPED')
  t.same((await ok.compute.listServers()).filter((s) => s.metadata?.lod_instance === id).map((s) => s.status), ['STOPPED', 'STOPPED', 'STOPPED'])

  t.equal((await c.api('POST', `/api/lambda-instances/${id}/`, { action: 'start' })).status, 202)
  t.equal((await c.waitFor(id, ['STARTED', 'FAILED'])).message, 'STARTED')
  t.same((await ok.compute.listServers()).filter((s) => s.metadata?.lod_instance === id).map((s) => s.status), ['ACTIVE', 'ACTIVE', 'ACTIVE'])

  t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
  t.equal((await c.waitFor(id, ['DESTROYED', 'FAILED'])).message, 'DESTROYED')
  t.same(await leftovers(c), nothing, 'no server, network, port or floating IP of the instance is left')
  t.same(c.usage(), before, 'the quota usage is back where it was')
  t.match(c.service.reactors!.jobCounts(), { failed: 0, running: 0, queued: 0 })
})

t.test('a stage the service VM fails ends in its *_FAILED status, and the instance can be destroyed', async (t) => {
  const c = await startCluster(t)
  c.emulator.failStage({ stage: 'kafka' })
  const id = await c.create({ slaves: 1 })
  const status = await c.waitFor(id, ['KAFKA_FAILED', 'STARTED'])
  t.same([status.message, status.failure_message], ['KAFKA_FAILED', 'Ansible task failed'])
  t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
  t.equal((await c.waitFor(id, ['DESTROYED', 'FAILED'])).message, 'DESTROYED')
  t.same((await leftovers(c)).servers, [])
})

t.test('a build ending in ERROR fails the cluster with a message; a stuck build fails at the deadline', async (t) => {
  const c = await startCluster(t, { service: { reactors: { pollIntervalMs: 10, backoffMs: 10, attempts: 3, buildTimeoutMs: 500 } } })
  c.emulator.forceBuild({ outcome: 'error', times: 1 })
  const broken = await c.create({ slaves: 0 })
  const error = await c.waitFor(broken, ['CLUSTER_FAILED', 'STARTED'])
  t.equal(error.message, 'CLUSTER_FAILED')
  t.match(error.failure_message, /failed to build/)
  c.emulator.forceBuild({ outcome: 'stuck', times: 1 })
  const stuck = await c.create({ slaves: 0 })
  const late = await c.waitFor(stuck, ['CLUSTER_FAILED', 'STARTED'])
  t.match(late, { message: 'CLUSTER_FAILED', failure_message: /did not become ACTIVE within 0.5 s/ })
  for (const id of [broken, stuck]) {
    t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
    t.same(await c.waitFor(id, ['DESTROYED', 'FAILED']), { code: '6', message: 'DESTROYED', detail: 'Lambda instance has been destroyed' })
  }
  t.same(await leftovers(c), { servers: [], networks: [], floatingIps: [], ports: [] })
})
