import t from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createBody, requestedBy, startHarness, statusChanged } from '../support/harness.js'
import { footprintOf } from '../support/footprint.js'
import { tempDir } from '../support/temp-dir.js'

// The service answers the same on either log: on SQLite files (the embedded default) and with its log and
// secrets in PostgreSQL, its read models still in the node's own read.db.

for (const postgres of [false, true]) {
  const on = postgres ? 'PostgreSQL' : 'SQLite'

  t.test(`on ${on}: create, details, list, count, a status update, the history`, async (t) => {
    const dataDir = tempDir(t)
    const h = await startHarness(t, { postgres, dataDir, synchronous: 'normal', processMetrics: false })
    t.equal(existsSync(join(dataDir, 'events.db')), !postgres, postgres ? 'no log file in the data directory' : 'the log file')
    const created = await h.call('POST', '/api/lambda-instance/', { payload: createBody })
    t.equal(created.statusCode, 202, created.body)
    const id = created.json().data[0].id as string
    const details = await h.call('GET', `/api/lambda-instances/${id}/`)
    t.same(details.json().data[0].status, { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' }, 'seen right after the 202')
    t.same(details.json().data[0].info.instance_info, { ...createBody, master_node_id: null })
    t.equal(await h.service.secrets.get(id, 'owner-token'), h.alice.token, "the owner's token is kept for the jobs")

    await h.given(randomUUID(), requestedBy(h.bob.id, 'theirs'))
    const list = (await h.call('GET', '/api/lambda-instances/')).json()
    t.same(list.data.map((instance: { id: string }) => instance.id), [id], "alice's list holds hers only")
    t.same((await h.call('GET', '/api/lambda-instances/count/')).json().data, [{ count: 1 }])

    const update = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '0' } })
    t.equal(update.statusCode, 202, update.body)
    t.match((await h.call('GET', `/api/lambda-instances/${id}/?filter=status`)).json().data[0].status, { message: 'STARTED' })
    const history = (await h.call('GET', `/api/lambda-instances/${id}/history/`)).json().data
    t.match(history, [
      { version: 0, event: 'InstanceRequested', actor: h.alice.id, status_after: { message: 'PENDING' } },
      { version: 1, event: 'InstanceStatusChanged', status_before: { message: 'PENDING' }, status_after: { message: 'STARTED' } },
    ])
    const ready = await h.call('GET', '/readyz')
    t.match([ready.statusCode, ready.json()], [200, { status: 'ready', log_position: 3 }], 'the head /readyz knows of is the log\'s')
  })

  t.test(`on ${on}: a retry answers the first reply; a refused request writes nothing`, async (t) => {
    const dataDir = tempDir(t)
    const h = await startHarness(t, { postgres, dataDir, synchronous: 'normal', processMetrics: false })
    const footprint = () => footprintOf(h.service, dataDir, h.databaseUrl)
    const headers = { 'idempotency-key': 'create-once' }
    const first = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
    const after = await footprint()
    const again = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
    t.same([again.statusCode, again.headers['idempotent-replayed'], again.json()], [202, 'true', first.json()])
    t.same(await footprint(), after, 'the retry wrote nothing')
    t.equal(after.secrets.length, 1)

    const theirs = randomUUID()
    await h.given(theirs, requestedBy(h.bob.id, 'theirs'), statusChanged('0'))
    const before = await footprint()
    t.equal((await h.call('POST', `/api/lambda-instances/${theirs}/`, { payload: { action: 'stop' } })).statusCode, 404)
    t.equal((await h.call('DELETE', `/api/lambda-instances/${theirs}/`)).statusCode, 404)
    t.equal((await h.call('POST', '/api/lambda-instance/', { payload: { ...createBody, slaves: 'many' } })).statusCode, 400)
    t.same(await footprint(), before, 'the log and the secrets as they were')
  })
}
