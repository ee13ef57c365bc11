import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { CommandHandler } from '../../src/platform/command-handler.js'
import { instanceDecider, type InstanceCommand } from '../../src/instances/decider.js'
import { instanceStatusCodes } from '../../src/instances/statuses.js'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import { createBody } from '../support/fixtures.js'
import { instanceStream } from '../../src/instances/events.js'

const reactor = { kind: 'reactor', name: 'test' } as const

/** A log with one freshly requested instance, and a handler that has already seen it. */
async function oneInstance(t: Test) {
  const log = new SqliteEventLog({ path: ':memory:' })
  t.teardown(() => log.close())
  const handler = new CommandHandler(log, instanceDecider)
  const id = randomUUID()
  const stream = instanceStream(id)
  await handler.handle(stream, { type: 'RequestInstance', id, owner: 'o', name: 'n', spec: createBody }, { metadata: { actor: 'o' } })
  return { log, handler, id, stream }
}

t.test('concurrent commands on one stream are decided in order and share a commit', async (t) => {
  const { log, handler, id, stream } = await oneInstance(t)
  const commits: number[] = []
  log.subscribe(await log.headPosition(), (batch) => commits.push(batch.length))
  const statuses = instanceStatusCodes.filter((c) => c !== '2' && c !== '5' && c !== '6')
  const results = await Promise.allSettled(
    statuses.map((status) => handler.handle(stream, { type: 'ChangeInstanceStatus', id, actor: reactor, status, failureMessage: '' } satisfies InstanceCommand, { metadata: { actor: 't' } })),
  )
  t.same(results.map((r) => (r.status === 'rejected' ? String(r.reason) : r.status)), statuses.map(() => 'fulfilled'))
  t.same(commits, [statuses.length], 'one transaction')
  t.same((await log.readStream(stream)).slice(1).map((e) => (e.data as { status: string }).status), statuses)
})

t.test('a writer the handler does not know about is detected and the command decided again', async (t) => {
  const { log, handler, id, stream } = await oneInstance(t)
  // Behind the handler's back: the instance is destroyed.
  await log.append(stream, [{ id: randomUUID(), type: 'InstanceStatusChanged', data: { status: '6', failure_message: '', source: 'reactor' }, metadata: { actor: 'x' } }], 0)
  const refused = await handler
    .handle(stream, { type: 'DestroyInstance', id, actor: { kind: 'user', owner: 'o' } }, { metadata: { actor: 'o' } })
    .catch((error: unknown) => error)
  t.match(refused, { kind: 'conflict', detail: 'The specified lambda instance is already destroyed.' })
})

t.test('a command refused on a cached state another writer has moved on is decided again on the stream as it is', async (t) => {
  const { log, handler, id, stream } = await oneInstance(t)
  // Behind the handler's back: PENDING becomes STARTED, so PENDING again is a change, not the status it already has.
  await log.append(stream, [{ id: randomUUID(), type: 'InstanceStatusChanged', data: { status: '0', failure_message: '', source: 'reactor' }, metadata: { actor: 'x' } }], 0)
  const command = { type: 'ChangeInstanceStatus', id, actor: reactor, status: '2', failureMessage: '' } satisfies InstanceCommand
  const { result } = await handler.handle(stream, command, { metadata: { actor: 't' } })
  t.equal(result.nextVersion, 2)
})

t.test("the state a job checks has what another process appended since the handler's cache was filled", async (t) => {
  const { log, handler, id, stream } = await oneInstance(t)
  t.match(await handler.load(stream), { version: 0, state: { status: '2' } })
  // Another process's handler: asked to be destroyed.
  await new CommandHandler(log, instanceDecider).handle(stream, { type: 'DestroyInstance', id, actor: { kind: 'user', owner: 'o' } }, { metadata: { actor: 'o' } })
  t.match(await handler.load(stream), { version: 1, state: { status: '5' } }, 'DESTROYING, not the cached PENDING')
})
