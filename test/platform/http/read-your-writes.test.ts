import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Fastify from 'fastify'
import { openReadModelDb, ProjectionRunner } from '../../../projections/runner.js'
import { domainEventVersions } from '../../../src/app/stores.js'
import { instanceStream } from '../../../src/instances/events.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { installErrorHandling } from '../../../src/platform/http/errors.js'
import { installReadYourWrites, readWaitMessages } from '../../../src/platform/http/read-your-writes.js'
import type { Projection } from '../../../projections/projection.js'
import { given } from '../../support/given.js'
import { heardLate } from '../../support/heard-late.js'
import { createBody, requestedBy, startHarness, statusChanged } from '../../support/harness.js'
import { tempDir } from '../../support/temp-dir.js'

// Read-your-writes (docs/api.md "Consistency"): a command's reply says where its events are in the log, and a GET
// of a read model waits until this node's read models have reached that position, or the log's head.

/** A service on a data directory, and another writer on its log's file (another node, as far as this service
 *  knows): the service's read models do not hear of that writer's commits until its own next commit finds the gap. */
async function serviceWithAnotherWriter(t: Test) {
  const dataDir = tempDir(t)
  const h = await startHarness(t, { dataDir })
  const writer = new SqliteEventLog({ path: join(dataDir, 'events.db'), synchronous: 'normal', versions: domainEventVersions })
  t.teardown(() => writer.close())
  const appendElsewhere = async (id: string) => {
    await given(writer, instanceStream(id), requestedBy(h.alice.id))
    return writer.headPositionSync()
  }
  return { h, appendElsewhere }
}

const afterMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))


t.test("a 202 carries LoD-Position: the position of the last event it appended", async (t) => {
  const h = await startHarness(t)
  const created = await h.call('POST', '/api/lambda-instance/', { payload: createBody })
  t.equal(created.statusCode, 202)
  const id: string = created.json().data[0].id
  const [requested] = await h.service.log.readAll(Number(created.headers['lod-position']) - 1, 1)
  t.match(requested, { type: 'InstanceRequested', stream: `instance-${id}` })
  t.equal(created.headers['lod-position'], String(await h.service.log.headPosition()))

  const other = randomUUID()
  await h.given(other, requestedBy(h.alice.id), statusChanged('0'))
  const stopped = await h.call('POST', `/api/lambda_instances/${other}/status/`, { payload: { status: '2' } })
  t.equal(stopped.statusCode, 202)
  const [changed] = await h.service.log.readAll(Number(stopped.headers['lod-position']) - 1, 1)
  t.match(changed, { type: 'InstanceStatusChanged', stream: `instance-${other}`, data: { status: '2' } })

  const refused = await h.call('POST', `/api/lambda_instances/${other}/status/`, { payload: { status: '2' } })
  t.equal(refused.statusCode, 409)
  t.notOk('lod-position' in refused.headers, 'a refusal appended nothing: no position')

  const app = randomUUID()
  const registered = await h.call('POST', '/api/lambda_applications/', {
    payload: { uuid: app, name: 'app.jar', description: '', status: '0' },
  })
  t.equal(registered.statusCode, 202, registered.body)
  const [record] = await h.service.log.readAll(Number(registered.headers['lod-position']) - 1, 1)
  t.match(record, { stream: `app-${app}` })
})

t.test('a replayed reply carries the log head, at least as far as its first answer', async (t) => {
  const h = await startHarness(t)
  const headers = { 'idempotency-key': 'create-1' }
  const first = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
  await h.given(randomUUID(), requestedBy(h.alice.id))
  const again = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.headers['lod-position'], String(await h.service.log.headPosition()))
  t.ok(Number(again.headers['lod-position']) > Number(first.headers['lod-position']))
})

t.test('a GET waits until the read models reach the LoD-Position it carries, then answers', async (t) => {
  const { h, appendElsewhere } = await serviceWithAnotherWriter(t)
  const id = randomUUID()
  const position = await appendElsewhere(id)
  t.ok(h.service.runner.appliedPosition() < position, "the service's read models have not heard of it")
  const read = h.call('GET', `/api/lambda-instances/${id}/`, { headers: { 'lod-position': String(position) } })
  await afterMs(100)
  // The service's own next commit follows a gap: its read models catch up from the log.
  await h.given(randomUUID(), requestedBy(h.alice.id))
  const details = await read
  t.equal(details.statusCode, 200, details.body)
  t.equal(details.json().data[0].info.id, id)
})

t.test("a GET without LoD-Position waits for the log's head, asked of the log, on a node whose read models trail it", async (t) => {
  const log = new SqliteEventLog({ path: ':memory:', synchronous: 'normal' })
  const db = openReadModelDb(join(tempDir(t), 'read.db'))
  const seen: Projection = {
    name: 'seen',
    version: 1,
    tables: ['seen'],
    ddl: (t) => `CREATE TABLE IF NOT EXISTS "${t('seen')}" (position INTEGER PRIMARY KEY)`,
    bind: (db, t) => {
      const insert = db.prepare(`INSERT INTO "${t('seen')}" VALUES (?)`)
      return (event) => void insert.run(event.position)
    },
  }
  const runner = new ProjectionRunner(db, [seen])
  const following = runner.follow(heardLate(log, 100))
  const app = Fastify()
  installErrorHandling(app)
  // What a node on PostgreSQL does: it asks the log for its head, since other nodes commit too.
  const progress = {
    knownHead: () => log.headPosition(),
    logHead: () => log.headPosition(),
    appliedPosition: () => runner.appliedPosition(),
    waitFor: (position: number, timeoutMs: number) => runner.waitFor(position, timeoutMs),
  }
  installReadYourWrites(app, { progress, waitMs: 2000 })
  app.get('/seen', { config: { readsReadModels: true } }, async () => db.prepare('SELECT count(*) AS n FROM seen').get())
  app.get('/unflagged', async () => db.prepare('SELECT count(*) AS n FROM seen').get())
  t.teardown(async () => {
    await app.close()
    following.close()
    await log.close()
    db.close()
  })
  await given(log, 's-1', { type: 'Thing', data: {} })
  t.same((await app.inject('/unflagged')).json(), { n: 0 }, 'a route that does not read the read models does not wait')
  const started = performance.now()
  t.same((await app.inject('/seen')).json(), { n: 1 })
  t.ok(performance.now() - started >= 50, 'it waited for the delivery')
})

t.test('past LOD_READ_WAIT_MS, a 503 with Retry-After', async (t) => {
  const h = await startHarness(t, { readWaitMs: 150 })
  // Read models this code cannot build: they stop at position 0 while the log goes on.
  h.service.runner.db.prepare('UPDATE projection_checkpoints SET version = version + 100').run()
  await h.given(randomUUID(), requestedBy(h.alice.id))
  const position = String(await h.service.log.headPosition())
  for (const [url, headers] of [
    ['/api/lambda-instances/', { 'lod-position': position }],
    ['/api/lambda-instances/', {}],
    ['/api/apps/', {}],
    ['/api/lambda_instances/count', {}],
  ] as const) {
    const started = performance.now()
    const behind = await h.call('GET', url, { headers })
    t.ok(performance.now() - started >= 140, `${url} waited`)
    t.equal(behind.statusCode, 503, url)
    t.equal(behind.headers['retry-after'], '1')
    t.same(behind.json(), { errors: [{ status: 503, detail: readWaitMessages.behind }] })
  }
  t.equal((await h.call('GET', '/healthz', { token: null })).statusCode, 200, 'the operations endpoints do not wait')
  t.equal((await h.call('GET', `/api/lambda-instances/${randomUUID()}/history/`)).statusCode, 404, 'nor what reads the log itself')
})

t.test('a LoD-Position beyond the log\'s head, or not a position, is a 400 at once', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.given(id, requestedBy(h.alice.id))
  const head = await h.service.log.headPosition()
  const beyond = await h.call('GET', `/api/lambda-instances/${id}/`, { headers: { 'lod-position': String(head + 1) } })
  t.same([beyond.statusCode, beyond.json()], [400, { errors: [{ status: 400, detail: readWaitMessages.beyondHead(head + 1, head) }] }])
  for (const malformed of ['-1', '1.5', 'abc', '', '9'.repeat(16)]) {
    const refused = await h.call('GET', `/api/lambda-instances/${id}/`, { headers: { 'lod-position': malformed } })
    t.same([refused.statusCode, refused.json().errors[0].detail], [400, readWaitMessages.malformed], JSON.stringify(malformed))
  }
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/`, { headers: { 'lod-position': String(head) } })).statusCode, 200)
  t.equal((await h.call('GET', '/api/lambda-instances/', { token: null, headers: { 'lod-position': 'x' } })).statusCode, 401, 'authentication first')
})

t.test('the OpenAPI document says which routes take LoD-Position and which answer it', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const { paths } = (await h.call('GET', '/api/openapi.json', { token: null })).json()
  const takes = (path: string) => (paths[path].get.parameters ?? []).some((p: { name: string; in: string }) => p.in === 'header' && p.name === 'LoD-Position')
  for (const path of ['/api/lambda-instances', '/api/lambda-instances/{id}', '/api/lambda_instances/count', '/api/apps/{id}', '/api/users/count']) {
    t.ok(takes(path), `GET ${path} takes it`)
    t.match(paths[path].get.responses['503'].description, /LOD_READ_WAIT_MS/)
  }
  for (const path of ['/healthz', '/api/lambda-instances/{id}/history', '/api/lambda-instances/{id}/events']) t.notOk(takes(path), `GET ${path} does not`)
  t.ok(paths['/api/lambda-instance'].post.responses['202'].headers['LoD-Position'])
  t.ok(paths['/api/lambda_applications/{id}/increment_started'].post.responses['202'].headers['LoD-Position'])
})
