import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createBody, requestedBy, startHarness, statusChanged } from '../../support/harness.js'

// Read-your-writes (docs/api.md "Consistency"): a command's reply says where its events are in the log.

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
