import t from 'tap'
import { leftovers, startCluster } from '../support/cluster.js'

// The status family's DELETE of an instance whose cluster this service built destroys the cluster, as the
// user's DELETE does: a record marked DESTROYED with its VMs still running could never be cleaned up.

t.test("the status family's DELETE of a built cluster removes it from ~okeanos", async (t) => {
  const c = await startCluster(t)
  const nothing = await leftovers(c)
  const id = await c.create({ slaves: 1 })
  t.equal((await c.waitFor(id, ['STARTED', 'CLUSTER_FAILED', 'FAILED'])).message, 'STARTED')
  t.equal((await leftovers(c)).servers.length, 2, 'the master and the slave run')

  const res = await c.api('DELETE', `/api/lambda_instances/${id}`)
  t.same([res.status, res.json.data], [202, [{ id }]])
  t.equal((await c.waitFor(id, ['DESTROYED', 'FAILED'])).message, 'DESTROYED')
  t.same((await c.statuses(id)).slice(-2), ['5', '6'], 'DESTROYING, then DESTROYED by the destroy reactor')
  t.same(await leftovers(c), nothing, 'no server, network, port or floating IP of the instance is left')
  t.match(c.service.reactors!.jobCounts(), { failed: 0, running: 0, queued: 0 })
  t.equal((await c.api('DELETE', `/api/lambda_instances/${id}`)).status, 404, 'already destroyed')
})
