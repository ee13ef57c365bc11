import t from 'tap'
import { lod, serviceWithData, seedInstances } from '../support/lod.js'
import { runLod } from '../support/lod-process.js'

// The case blue/green exists for: `lod projections rebuild` in its own process while the service keeps
// appending. Every status the service acknowledged during the rebuild must be in the read model afterwards, once
// (checked by comparing with a fresh rebuild), and the service must keep its read model up to date after the swap.

t.test('the service keeps appending while another process rebuilds and swaps', async (t) => {
  const h = await serviceWithData(t)
  const watched = await seedInstances(h, h.alice.id, 10, [])
  await seedInstances(h, h.bob.id, 1000)
  const startHead = await h.service.log.headPosition()

  // Small batches: many transactions for the service's commits to fall between.
  const { exited, output } = runLod(['projections', 'rebuild', '--batch-size', '50', '-d', h.dataDir])
  let running = true
  void exited.then(() => (running = false))

  const cycle = ['10', '12', '14', '16', '18', '20', '22', '0']
  const last = new Map<string, string>()
  let accepted = 0
  const refused: string[] = []
  for (let i = 0; running; i++) {
    const id = watched[i % watched.length]!
    const status = cycle[Math.floor(i / watched.length) % cycle.length]!
    const reply = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })
    if (reply.statusCode !== 202) refused.push(`${status}: ${reply.statusCode} ${reply.body}`)
    last.set(id, status)
    accepted++
  }
  t.same(refused, [], 'every status update was accepted')
  t.equal(await exited, 0, output())
  t.match(output(), /Rebuilt instances(, \w+)* from [\d,]+ events/)
  t.ok(accepted > 20, `${accepted} statuses accepted while the rebuild ran`)

  const head = await h.service.log.headPosition()
  t.ok(head > startHead)
  t.ok(h.service.runner.positions().every((p) => p.position === head), 'the service\'s read models are at the head')
  for (const [id, status] of last) {
    const details = (await h.call('GET', `/api/lambda-instances/${id}/?filter=status`)).json()
    t.equal(details.data[0].status.code, status, `${id} shows its last status`)
  }
  const verify = await lod(['verify', '-d', h.dataDir])
  t.equal(verify.code, 0, verify.out)

  // After the swap the service writes into the new tables.
  await h.call('POST', `/api/lambda_instances/${watched[0]}/status/`, { payload: { status: '9', failure_message: 'after the swap' } })
  t.match((await h.call('GET', `/api/lambda-instances/${watched[0]}/?filter=status`)).json().data[0].status, { failure_message: 'after the swap' })
})
