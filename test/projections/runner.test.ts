import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { EventLog } from '../../src/platform/eventlog/port.js'
import { PostgresEventLog } from '../../src/platform/eventlog/postgres.js'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import type { Projection } from '../../projections/projection.js'
import { openReadModelDb, ProjectionRunner, ReadModelVersionError } from '../../projections/runner.js'
import { heardLate } from '../support/heard-late.js'
import { freshPostgresDatabase } from '../support/postgres.js'

// The runner trusts the checkpoint stored with the read model, not its memory: what another process (a rebuild)
// stored is respected, a delivery after a gap or a failed batch is made good from the log, and no event is
// applied twice. A counting read model makes a double application visible.

const counting = (failOn?: (n: number) => boolean): Projection => ({
  name: 'counting',
  version: 1,
  tables: ['counted'],
  ddl: (t) => `CREATE TABLE IF NOT EXISTS "${t('counted')}" (position INTEGER PRIMARY KEY)`,
  bind(db, t) {
    const insert = db.prepare(`INSERT INTO "${t('counted')}" (position) VALUES (?)`)
    return (event) => {
      if (failOn?.(event.position)) throw new Error(`cannot apply ${event.position}`)
      insert.run(event.position)
    }
  },
})

async function setup(t: Test, projection = counting(), options: { deliveryDelayMs?: number; log?: EventLog } = {}) {
  const { deliveryDelayMs = 0, log = new SqliteEventLog({ path: ':memory:', synchronous: 'normal' }) } = options
  const dir = mkdtempSync(join(tmpdir(), 'lod-runner-'))
  const db = openReadModelDb(join(dir, 'read.db'))
  const errors: unknown[] = []
  const runner = new ProjectionRunner(db, [projection], { onError: (e) => errors.push(e), retryDelayMs: 5 })
  const following = runner.follow(deliveryDelayMs > 0 ? heardLate(log, deliveryDelayMs) : log)
  t.teardown(async () => {
    following.close()
    await log.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const append = (n: number) =>
    Promise.all(Array.from({ length: n }, () => log.append(`s-${randomUUID()}`, [{ id: randomUUID(), type: 'Thing', data: {}, metadata: { actor: 't' } }], 'no_stream')))
  const counted = () => db.prepare<[], { position: number }>('SELECT position FROM counted ORDER BY position').all().map((r) => r.position)
  /** Another connection to the same file, as `lod projections rebuild` would be. */
  const other = () => new Database(join(dir, 'read.db'))
  return { log, db, runner, append, counted, other, errors }
}

t.test('a checkpoint another process moved ahead is respected: nothing is applied twice', async (t) => {
  const { runner, append, counted, other } = await setup(t)
  await append(3)
  const rebuild = other()
  // What a swap does: tables that already hold events 4 and 5, and the checkpoint at 5.
  rebuild.transaction(() => {
    rebuild.prepare('INSERT INTO counted VALUES (4), (5)').run()
    rebuild.prepare("UPDATE projection_checkpoints SET position = 5 WHERE name = 'counting'").run()
  })()
  rebuild.close()
  await append(1)
  await append(1)
  await append(1)
  t.same(counted(), [1, 2, 3, 4, 5, 6])
  t.same(runner.positions(), [{ name: 'counting', version: 1, position: 6 }])
})

t.test('a batch that does not follow the checkpoint is refused; following makes the gap good from the log', async (t) => {
  const { runner, append, counted } = await setup(t)
  await append(5)
  // The read model restored from an older copy: at position 2.
  runner.db.transaction(() => {
    runner.db.prepare('DELETE FROM counted WHERE position > 2').run()
    runner.db.prepare("UPDATE projection_checkpoints SET position = 2").run()
  })()
  t.throws(() => runner.apply([{ position: 6, id: 'x', stream: 's', version: 0, type: 'Thing', typeVersion: 1, data: {}, metadata: { actor: 't' }, time: '' }], { checkGaps: true }), { name: 'EventGapError' })
  await append(1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(counted(), [1, 2, 3, 4, 5, 6], 'the delivery of 6 found the gap and the runner read 3 to 6 from the log')
  t.ok(runner.healthy())
})

t.test('a failed batch is retried from the log; readiness is false meanwhile', async (t) => {
  let failing = true
  const { runner, append, counted, errors } = await setup(t, counting((position) => failing && position === 2))
  await append(1)
  await append(1)
  t.same(counted(), [1])
  t.notOk(runner.healthy(), 'behind while the batch fails')
  t.match(errors[0], { message: 'cannot apply 2' })
  failing = false
  await append(1)
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.same(counted(), [1, 2, 3])
  t.ok(runner.healthy())
})

t.test('a read model left at another version by other code is refused, not written to', async (t) => {
  const { runner, append, counted, errors } = await setup(t)
  await append(1)
  runner.db.prepare('UPDATE projection_checkpoints SET version = 2').run()
  await append(1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(counted(), [1])
  t.type(errors.at(-1), ReadModelVersionError)
  t.notOk(runner.healthy())
})

t.test('waitFor resolves at once for a position the read models have reached', async (t) => {
  const { runner, append } = await setup(t)
  const { position } = (await append(1))[0]!
  t.equal(runner.appliedPosition(), position, 'applied in the commit\'s own turn')
  t.equal(await runner.waitFor(position, 0), true)
})

t.test('waitFor resolves when the batch that reaches the position is applied, not before', async (t) => {
  const { runner, append, counted } = await setup(t, counting(), { deliveryDelayMs: 100 })
  const { position } = (await append(1))[0]!
  t.equal(runner.appliedPosition(), 0, 'the commit is not heard of yet')
  const started = performance.now()
  t.equal(await runner.waitFor(position, 2_000), true)
  t.ok(performance.now() - started >= 50, 'it waited for the delivery')
  t.same(counted(), [position], 'and the read model holds the event once it resolves')
})

t.test('waitFor answers false after its timeout for a position never reached', async (t) => {
  const { runner, append } = await setup(t)
  const { position } = (await append(1))[0]!
  const started = performance.now()
  t.equal(await runner.waitFor(position + 1, 60), false)
  t.ok(performance.now() - started >= 55)
})

t.test('waitFor sees a checkpoint another process moved ahead', async (t) => {
  const { runner, append, other } = await setup(t)
  await append(2)
  const rebuild = other()
  rebuild.prepare("UPDATE projection_checkpoints SET position = 5 WHERE name = 'counting'").run()
  rebuild.close()
  t.equal(runner.appliedPosition(), 2)
  t.equal(await runner.waitFor(5, 0), true)
})

t.test('heardPosition is the newest position the log delivered, applied or not', async (t) => {
  const { runner, append } = await setup(t)
  await append(2)
  t.same([runner.heardPosition(), runner.appliedPosition()], [2, 2])
  runner.db.prepare('UPDATE projection_checkpoints SET version = 2').run()
  await append(1)
  t.same([runner.heardPosition(), runner.appliedPosition()], [3, 2], 'heard of, but refused by read models of another version')
})

// Two nodes on one PostgreSQL log, each with read models of its own, which trail the other node's commits by the
// time a notification takes.
t.test("on PostgreSQL, a node's waitFor resolves once its read models hold what another node appended", async (t) => {
  const url = await freshPostgresDatabase()
  const writer = await setup(t, counting(), { log: await PostgresEventLog.open({ connectionString: url }) })
  const reader = await setup(t, counting(), { log: await PostgresEventLog.open({ connectionString: url }) })
  for (let i = 0; i < 20; i++) {
    const { position } = (await writer.append(1))[0]!
    t.equal(await reader.runner.waitFor(position, 2_000), true)
    t.ok(reader.counted().includes(position), `the reader's read model holds ${position}`)
  }
  t.equal(await reader.runner.waitFor((await reader.log.headPosition()) + 1, 100), false, 'a position past the head is never reached')
})
