import t from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { instancesProjection } from '../../projections/instances/projection.js'
import { statusChanged, type Harness } from '../support/harness.js'
import { aMomentLater, createdAndStarted, lod, reportStatus, seedInstances, serviceWithData, statusIn } from '../support/lod.js'
import { freePort, runLod } from '../support/lod-process.js'
import { queryPostgres } from '../support/postgres.js'
import { waitUntil } from '../support/wait.js'

// The data commands on the PostgreSQL log that every node shares, chosen as the service chooses it
// (LOD_DATABASE_URL): the service's log is in a fresh database and only its read models in its data directory, which
// holds no events.db, so a command that read the SQLite file instead would fail. The commands are given no
// LOD_SECRET_KEY: they need none.

const onPostgres = (h: Harness) => ({ env: { LOD_DATABASE_URL: h.databaseUrl! } })

const readModelFile = (h: { dataDir: string }) => join(h.dataDir, 'read.db')

t.test('audit, events tail and projections status read the shared log', async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  t.notOk(existsSync(join(h.dataDir, 'events.db')), 'the node has no SQLite log')
  const id = await createdAndStarted(h, ['10', '12'])
  await reportStatus(h, id, '13', 'ansible: unreachable host 10.0.0.2')

  const audit = await lod(['audit', id, '-d', h.dataDir], onPostgres(h))
  t.equal(audit.code, 0, audit.err)
  t.equal(audit.lines[0], `instance-${id}: 4 events`)
  const rows = audit.lines.slice(4)
  t.match(rows[0], new RegExp(`InstanceRequested\\s+${h.alice.name} \\(${h.alice.id}\\)\\s+- → PENDING$`))
  t.match(rows[3], /INIT_DONE → INIT_FAILED\s+ansible: unreachable host 10.0.0.2$/)
  const missing = randomUUID()
  const nothing = await lod(['audit', missing, '-d', h.dataDir], onPostgres(h))
  t.same([nothing.code, nothing.err], [1, `lod: No instance or application ${missing} in the event log.`])

  const last = await lod(['events', 'tail', '-n', '2', '-d', h.dataDir], onPostgres(h))
  t.equal(last.code, 0, last.err)
  t.match(last.lines, [
    new RegExp(`Z  #3  instance-${id}@2  InstanceStatusChanged  ${h.alice.id}  \\{"status":"12"`),
    new RegExp(`Z  #4  instance-${id}@3  InstanceStatusChanged  .*"status":"13"`),
  ])
  t.equal(last.lines.length, 2)
  const requested = await lod(['events', 'tail', '--type', 'InstanceRequested', '--stream', id, '--json', '-d', h.dataDir], onPostgres(h))
  t.equal(requested.lines.length, 1)
  t.match(JSON.parse(requested.lines[0]!), { position: 1, stream: `instance-${id}`, type: 'InstanceRequested', type_version: 2, metadata: { actor: h.alice.id } })

  const status = await lod(['projections', 'status', '-d', h.dataDir], onPostgres(h))
  t.equal(status.lines[0], 'event log at position 4')
  t.match(status.lines[3], new RegExp(`^instances +${instancesProjection.version} +4 +0 +ok$`))
})

t.test("events tail --follow is told of the service's commits by the log (LISTEN/NOTIFY)", async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  const id = await createdAndStarted(h, [])
  const listeners = async () =>
    (await queryPostgres<{ n: number }>(h.databaseUrl!, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'LISTEN lod_log'"))[0]!.n
  const before = await listeners()
  const stop = new AbortController()
  t.teardown(() => stop.abort())
  const seen: string[] = []
  // Polling once a minute: only a notification brings the events within the test.
  const following = lod(['events', 'tail', '--follow', '--type', 'InstanceStatusChanged', '--interval', '60000', '-d', h.dataDir], {
    ...onPostgres(h),
    signal: stop.signal,
    onLine: (line) => seen.push(line),
  })
  await waitUntil('the command to listen', async () => (await listeners()) > before)
  await reportStatus(h, id, '10')
  await reportStatus(h, id, '12')
  await h.call('DELETE', `/api/lambda-instances/${id}/`)
  await h.given(id, statusChanged('6'))
  await waitUntil('three status changes printed', () => seen.length >= 3, 5000)
  stop.abort()
  const run = await following
  t.equal(run.code, 0, run.err)
  t.same(seen.map((line) => JSON.parse(line.split('  ').at(-1)!).status), ['10', '12', '6'])
})

t.test("verify checks the shared log and this node's read models", async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  const id = await createdAndStarted(h)
  await createdAndStarted(h, ['10', '11'])
  const run = await lod(['verify', '-d', h.dataDir], onPostgres(h))
  t.equal(run.code, 0, run.out + run.err)
  t.equal(run.lines[0], 'ok    event log: 12 events in 2 streams; versions contiguous, ids unique, every event decodes')
  t.ok(run.lines.slice(1).every((line) => /^ok {4}read model \w+: equals a fresh rebuild at position 12/.test(line)), 'every read model')

  const db = new Database(readModelFile(h))
  db.prepare("UPDATE instances SET status = '9', failure_message = 'edited by hand' WHERE id = ?").run(id)
  db.close()
  const damaged = await lod(['verify', '-d', h.dataDir], onPostgres(h))
  t.equal(damaged.code, 1)
  t.match(damaged.out, 'FAIL  read model instances: differs from a fresh rebuild at position 12')
  t.match(damaged.out, '"failure_message":"edited by hand"')
})

t.test("projections rebuild rebuilds this node's read models from the shared log", async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  const id = await createdAndStarted(h)
  await seedInstances(h, h.bob.id, 50)
  const db = new Database(readModelFile(h))
  db.prepare('DELETE FROM instances WHERE id = ?').run(id)
  db.close()
  t.equal((await lod(['verify', '-d', h.dataDir], onPostgres(h))).code, 1, 'damaged')

  const run = await lod(['projections', 'rebuild', '--batch-size', '100', '-d', h.dataDir], onPostgres(h))
  t.equal(run.code, 0, run.err)
  t.match(run.out, /^Rebuilt instances(, \w+)* from 459 events in [\d.]+ s \([\d,]+ events\/s\); swapped in at position 459\.$/)
  t.equal((await lod(['verify', '-d', h.dataDir], onPostgres(h))).code, 0, 'equal to a fresh rebuild again')
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/`)).json().data[0].status.message, 'STARTED', 'the running node reads the new tables')
  await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '4' } })
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/`)).json().data[0].status.message, 'STOPPING', 'and keeps them up to date')

  const nowhere = await lod(['projections', 'rebuild', '-d', join(h.dataDir, 'nothing')], onPostgres(h))
  t.equal(nowhere.code, 2)
  t.match(nowhere.err, /^lod: No data directory at .*nothing \(set --data-dir or LOD_DATA_DIR\): this node's read models live there\.$/)
})

t.test('replay builds the read models as of a time or a position of the shared log', async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  const id = await createdAndStarted(h, ['10'])
  const { time, position } = await aMomentLater(h)
  await reportStatus(h, id, '12')
  await reportStatus(h, id, '14')
  const live = readModelFile(h)
  const liveBefore = statSync(live).mtimeMs

  const asOfTime = join(h.dataDir, 'as-of-time.db')
  const run = await lod(['replay', '--as-of', time, '--out', asOfTime, '-d', h.dataDir], onPostgres(h))
  t.equal(run.code, 0, run.err)
  t.match(run.out, new RegExp(`^Replayed ${position} events .* into .*as-of-time.db: read models as of position ${position} \\(last event at .*Z\\)\\.$`))
  t.equal(statusIn(asOfTime, id), '10', 'CLUSTER_CREATED at that time')
  const asOfPosition = join(h.dataDir, 'as-of-position.db')
  t.equal((await lod(['replay', '--as-of', String(position + 1), '--out', asOfPosition, '-d', h.dataDir], onPostgres(h))).code, 0)
  t.equal(statusIn(asOfPosition, id), '12', 'one event later: INIT_DONE')
  t.equal(statusIn(live, id), '14', 'the live read model has moved on')
  t.equal(statSync(live).mtimeMs, liveBefore, 'and was not touched')
  const over = await lod(['replay', '--as-of', '1', '--out', live, '--force', '-d', h.dataDir], onPostgres(h))
  t.equal(over.code, 2, "never this node's read models")
})

t.test('a rebuild in a process of its own while the node keeps appending to the shared log', async (t) => {
  const h = await serviceWithData(t, { postgres: true })
  const watched = await seedInstances(h, h.alice.id, 5, [])
  await seedInstances(h, h.bob.id, 300)
  const { exited, output } = runLod(['projections', 'rebuild', '--batch-size', '50', '-d', h.dataDir], { ...process.env, LOD_DATABASE_URL: h.databaseUrl! })
  let running = true
  void exited.then(() => (running = false))
  const cycle = ['10', '12', '14', '16', '18', '20', '22', '0']
  const last = new Map<string, string>()
  let accepted = 0
  // The swap's checkpoint is the shared log's head as it stood under the swap's lock: never behind what the node had
  // applied (it would apply those events again, or leave a gap to be made good).
  let reached = 0
  const wentBack: string[] = []
  for (let i = 0; running; i++) {
    const id = watched[i % watched.length]!
    const status = cycle[Math.floor(i / watched.length) % cycle.length]!
    t.equal((await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status } })).statusCode, 202)
    last.set(id, status)
    accepted++
    const stored = Math.min(...h.service.runner.positions().map((p) => p.position))
    if (stored < reached) wentBack.push(`${reached} → ${stored}`)
    reached = Math.max(reached, stored)
  }
  t.same(wentBack, [], "the node's stored checkpoints never went back")
  t.equal(await exited, 0, output())
  t.match(output(), /Rebuilt instances(, \w+)* from [\d,]+ events/)
  t.ok(accepted > 5, `${accepted} statuses accepted while the rebuild ran`)
  const head = await h.service.log.headPosition()
  await waitUntil("the node's read models at the head", () => h.service.runner.positions().every((p) => p.position === head))
  for (const [id, status] of last) t.equal((await h.call('GET', `/api/lambda-instances/${id}/?filter=status`)).json().data[0].status.code, status)
  const verify = await lod(['verify', '-d', h.dataDir], onPostgres(h))
  t.equal(verify.code, 0, verify.out)
})

t.test('a database out of reach is said so, and its URL never repeated', async (t) => {
  const port = await freePort()
  const dataDir = join(import.meta.dirname, 'nothing-here')
  for (const command of [['audit', randomUUID()], ['events', 'tail'], ['verify'], ['projections', 'rebuild'], ['replay', '--as-of', '1', '--out', 'x.db']]) {
    const run = await lod([...command, '-d', dataDir], { env: { LOD_DATABASE_URL: `postgresql://lod:s3cret-pw@127.0.0.1:${port}/lod` } })
    t.equal(run.code, 2, command.join(' '))
    t.equal(
      run.err,
      `lod: Cannot open the event log in PostgreSQL (LOD_DATABASE_URL): no PostgreSQL primary among the hosts: 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    )
    t.notMatch(run.out + run.err, 's3cret-pw')
  }
  const bad = await lod(['verify'], { env: { LOD_DATABASE_URL: 'mysql://lod:s3cret-pw@db/lod' } })
  t.equal(bad.code, 2)
  t.match(bad.err, 'LOD_DATABASE_URL must be a postgres:// or postgresql:// URL, or key=value settings, got a value of 28 characters')
  t.notMatch(bad.err, 's3cret-pw')
})
