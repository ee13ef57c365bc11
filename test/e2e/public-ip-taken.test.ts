import t from 'tap'
import { DEMO_PROJECT_ID } from '../../src/okeanos/emulator/index.js'
import { instanceStream } from '../../src/instances/events.js'
import { startCluster } from '../support/cluster.js'
import { waitUntil } from '../support/wait.js'

// A build takes a free public IP of the user's for its master. A build in another process may take the same one
// at the same moment (each process takes IPs one owner at a time, but only its own builds); then ~okeanos refuses
// the second master ("already in use"), and that build takes another IP instead of failing the cluster.

t.test('a free public IP taken by someone else before the master is made with it: the master gets another', async (t) => {
  const c = await startCluster(t)
  const ok = await c.okeanos()
  const free = await ok.network.createFloatingIp({ project: DEMO_PROJECT_ID })
  // The master's creation reaches ~okeanos late enough for the IP to be taken in between.
  c.emulator.injectFault({ method: 'POST', path: '^/compute/v2.0/servers$', delayMs: 500, delayOnly: true, times: 1 })
  const id = await c.create({ slaves: 1 })
  await waitUntil('the build to record the free IP as its own', async () =>
    (await c.service.log.readStream(instanceStream(id))).some((event) => event.type === 'ClusterResourceCreated' && (event.data as { id: string }).id === free.id),
  )
  await ok.network.createPort({ network_id: free.floating_network_id, fixed_ips: [{ ip_address: free.floating_ip_address }] })

  t.equal((await c.waitFor(id, ['STARTED', 'CLUSTER_FAILED', 'FAILED'])).message, 'STARTED')
  const servers = (await ok.compute.listServers()).filter((server) => server.metadata?.lod_instance === id)
  t.same(servers.map((server) => server.metadata.lod_role).sort(), ['master', 'slave-1'], 'one master, one slave')
  const master = servers.find((server) => server.metadata.lod_role === 'master')!
  const ips = await ok.network.listFloatingIps()
  const mastersIp = ips.find((ip) => ip.instance_id === String(master.id))
  t.not(mastersIp?.id, undefined, 'the master has a public IP')
  t.not(mastersIp?.id, free.id, 'another one')
  t.not(ips.find((ip) => ip.id === free.id)?.port_id, null, 'the taken one stays with whoever took it')

  t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
  t.equal((await c.waitFor(id, ['DESTROYED', 'FAILED'])).message, 'DESTROYED')
  t.same((await ok.network.listFloatingIps()).map((ip) => ip.id), [free.id], "the master's IP is removed with it, the taken one left alone")
})
