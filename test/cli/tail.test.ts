import t from 'tap'
import { statusChanged } from '../support/harness.js'
import { createdAndStarted, lod, reportStatus, serviceWithData } from '../support/lod.js'

// `lod events tail`: the last events, filtered by type or stream, and with --follow each new one as it comes.

t.test('the last events, oldest first, filtered by type and stream', async (t) => {
  const h = await serviceWithData(t)
  const first = await createdAndStarted(h, ['10', '12'])
  const second = await createdAndStarted(h, ['10'])
  const last = await lod(['events', 'tail', '-n', '2', '-d', h.dataDir])
  t.equal(last.code, 0)
  t.equal(last.lines.length, 2)
  t.match(last.lines[0], new RegExp(`Z  #4  instance-${second}@0  InstanceRequested  ${h.alice.id}  \\{"owner"`))
  t.match(last.lines[1], new RegExp(`#5  instance-${second}@1  InstanceStatusChanged  ${h.alice.id}  \\{"status":"10"`))

  const created = await lod(['events', 'tail', '--type', 'InstanceRequested', '-d', h.dataDir])
  t.same(created.lines.map((line) => line.split('  ')[2]), [`instance-${first}@0`, `instance-${second}@0`])
  const ofFirst = await lod(['events', 'tail', '--stream', first, '--json', '-d', h.dataDir])
  t.same(ofFirst.lines.map((line) => JSON.parse(line).version), [0, 1, 2])
  t.match(JSON.parse(ofFirst.lines[0]!), { position: 1, stream: `instance-${first}`, type: 'InstanceRequested', type_version: 2, metadata: { actor: h.alice.id } })
})

t.test('--follow prints each event as the service commits it, until interrupted', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h, [])
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const seen: string[] = []
  let notify = () => {}
  const following = lod(['events', 'tail', '--follow', '--type', 'InstanceStatusChanged', '--interval', '10', '-d', h.dataDir], {
    signal: stop.signal,
    onLine: (line) => (seen.push(line), notify()),
  })
  const until = (count: number) => new Promise<void>((resolve) => (notify = () => seen.length >= count && resolve())).then(() => undefined)
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.same(seen, [], 'nothing of that type yet')
  await reportStatus(h, id, '10')
  await until(1)
  await reportStatus(h, id, '12')
  await h.call('DELETE', `/api/lambda-instances/${id}/`)
  await h.given(id, statusChanged('6'))
  await until(3)
  stop.abort()
  const run = await following
  t.equal(run.code, 0)
  t.same(seen.map((line) => JSON.parse(line.split('  ').at(-1)!).status), ['10', '12', '6'])
})
