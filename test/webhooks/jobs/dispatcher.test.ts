import t from 'tap'
import { randomUUID } from 'node:crypto'
import { statusChangeOf } from '../../../src/app/webhook-sources.js'
import { CommandHandler } from '../../../src/platform/command-handler.js'
import { instanceStream } from '../../../src/instances/events.js'
import { webhookDecider } from '../../../src/webhooks/decider.js'
import { webhookStream } from '../../../src/webhooks/events.js'
import { WebhookDispatcher } from '../../../src/webhooks/jobs/dispatcher.js'
import { given } from '../../support/given.js'
import { startHarness, type Harness } from '../../support/harness.js'
import { waitUntil } from '../../support/wait.js'

// The dispatcher against a real log: two at once (two nodes, each with its own command handler and cache) ask for
// each delivery once, in log order; one started later picks up where the webhook's stream says, and what happened
// before the webhook was created is not its to deliver.

const statuses = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'InstanceStatusChanged', data: { status: i % 2 ? '10' : '12', failure_message: '', source: 'service-vm' } }))

function dispatcher(h: Harness, hook: { id: string; created: number }) {
  return new WebhookDispatcher({
    log: h.service.log,
    webhooks: new CommandHandler(h.service.log, webhookDecider),
    statusChangeOf,
    ownerOf: async () => h.alice.id,
    liveWebhooks: () => [{ id: hook.id, created_position: hook.created }],
    readModelPosition: () => h.service.runner.position(),
    pollMs: 20,
    onError: (error) => t.fail(String(error)),
  })
}

const requested = async (h: Harness, id: string) =>
  (await h.service.log.readStream(webhookStream(id))).filter((e) => e.type === 'WebhookDeliveryRequested').map((e) => (e.data as { position: number }).position)

for (const postgres of [false, true])
  t.test(`on ${postgres ? 'PostgreSQL' : 'SQLite'}: two dispatchers ask once for each event, in order; a restarted one loses none`, async (t) => {
    const h = await startHarness(t, { postgres, webhooks: { resolve: async () => ['93.184.216.34'] } })
    const instance = randomUUID()
    await given(h.service.log, instanceStream(instance), { type: 'InstanceRegistered', data: { owner: h.alice.id, name: 'x', instance_info: {}, status: '2', failure_message: '' } }, ...statuses(5))
    const created = await h.call('POST', '/api/webhooks/', { payload: { url: 'https://hooks.example.com/' } })
    const hook = { id: created.json().data[0].id as string, created: Number(created.headers['lod-position']) }
    const [a, b] = [dispatcher(h, hook), dispatcher(h, hook)]
    await Promise.all([a.start(), b.start()])
    // Appended while both follow the log, in several commits.
    for (let i = 0; i < 8; i++) await given(h.service.log, instanceStream(instance), ...statuses(5))
    const last = async () => (await h.service.log.readStream(instanceStream(instance))).at(-1)!.position
    const head = await last()
    await waitUntil('every status to be asked for', async () => (await requested(h, hook.id)).at(-1) === head)
    const asked = await requested(h, hook.id)
    t.equal(asked.length, 40, 'each of the 40 status changes after the creation once, none of the 6 before')
    t.ok(asked.every((p, i) => i === 0 || p > asked[i - 1]!), 'in log order')
    t.ok(asked[0]! > hook.created)
    await Promise.all([a.close(), b.close()])

    // Stopped; more happens; a fresh one (a restart) starts from the webhook's stream and asks for the rest.
    await given(h.service.log, instanceStream(instance), ...statuses(3))
    const again = dispatcher(h, hook)
    await again.start()
    t.teardown(() => again.close())
    await waitUntil('the rest to be asked for', async () => (await requested(h, hook.id)).length >= 43)
    const all = await requested(h, hook.id)
    t.equal(new Set(all).size, 43, 'none twice, none lost')
    t.equal(all.at(-1), await last())
  })

t.test('with no webhook, commits are passed over without being read back; one created later gets what follows it', async (t) => {
  const h = await startHarness(t, { webhooks: { resolve: async () => ['93.184.216.34'] } })
  const instance = randomUUID()
  await given(h.service.log, instanceStream(instance), { type: 'InstanceRegistered', data: { owner: h.alice.id, name: 'x', instance_info: {}, status: '2', failure_message: '' } })
  let reads = 0
  const log = Object.create(h.service.log, {
    readAll: { value: (from: number, limit: number) => (reads++, h.service.log.readAll(from, limit)) },
  }) as typeof h.service.log
  const hooks: Array<{ id: string; created_position: number }> = []
  const following = new WebhookDispatcher({
    log,
    webhooks: new CommandHandler(h.service.log, webhookDecider),
    statusChangeOf,
    ownerOf: async () => h.alice.id,
    liveWebhooks: () => hooks,
    readModelPosition: () => h.service.runner.position(),
    // Longer than the test: only commits wake it.
    pollMs: 60_000,
    onError: (error) => t.fail(String(error)),
  })
  await following.start()
  t.teardown(() => following.close())
  await waitUntil('the dispatcher to catch up', async () => following.readUpTo === (await h.service.log.headPosition()))
  const readsBefore = reads
  for (let i = 0; i < 5; i++) await given(h.service.log, instanceStream(instance), ...statuses(2))
  await waitUntil('the commits to be passed over', async () => following.readUpTo === (await h.service.log.headPosition()))
  t.equal(reads, readsBefore, 'no commit was read back')

  const created = await h.call('POST', '/api/webhooks/', { payload: { url: 'https://hooks.example.com/' } })
  const id = created.json().data[0].id as string
  await given(h.service.log, instanceStream(instance), ...statuses(3))
  const last = (await h.service.log.readStream(instanceStream(instance))).at(-1)!.position
  await waitUntil('the statuses after the creation to be asked for', async () => (await requested(h, id)).at(-1) === last)
  t.equal((await requested(h, id)).length, 3, 'the three after its creation, none before')
})
