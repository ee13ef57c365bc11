import t from 'tap'
import { DEMO_PROJECT_ID } from '../../src/okeanos/emulator/index.js'
import { failedStatuses, leftovers, startCluster } from '../support/cluster.js'

// With a fault on 20% of ~okeanos calls, every instance still ends STARTED or failed — never stuck — and
// destroying them all leaves nothing behind.

t.test('20 instances under 20% random ~okeanos faults', async (t) => {
  const c = await startCluster(t)
  const room = { 'cyclades.vm': 100, 'cyclades.cpu': 400, 'cyclades.floating_ip': 40, 'cyclades.network.private': 40 }
  c.emulator.setProjectQuota(DEMO_PROJECT_ID, { limits: room, projectLimits: room })
  const before = c.usage()
  const nothing = await leftovers(c)
  await c.api('GET', '/api/authenticate/') // the token is validated (and cached) before the dice roll
  c.emulator.setChaos(0.2, { seed: 42 })

  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => c.create({ instance_name: `chaos-${i}`, slaves: 1, vcpus_master: 2, vcpus_slave: 2, ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10 })))
  const ends = await Promise.all(ids.map((id) => c.waitFor(id, ['STARTED', ...failedStatuses], 60_000)))
  const tally = ends.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.message]: (acc[s.message] ?? 0) + 1 }), {})
  t.comment(`outcomes: ${JSON.stringify(tally)}`)
  t.equal(ends.length, 20, 'every instance reached STARTED or a failed status')
  t.ok((tally.STARTED ?? 0) > 0, 'and faults did not stop all of them')

  for (const id of ids) t.equal((await c.api('DELETE', `/api/lambda-instances/${id}/`)).status, 202)
  const gone = await Promise.all(ids.map((id) => c.waitFor(id, ['DESTROYED', 'FAILED'], 60_000)))
  t.same(gone.filter((s) => s.message !== 'DESTROYED'), [], 'every destroy finished')
  c.emulator.setChaos(0)
  t.same(await leftovers(c), nothing, 'no server, network, port or IP is left')
  t.same(c.usage(), before, 'quota usage is back where it was')
})
