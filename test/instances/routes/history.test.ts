import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createBody, startHarness } from '../../support/harness.js'

// GET /api/lambda-instances/{id}/history/: the owner's view of the audit trail, paginated.

t.test('the owner sees every event with its actor and status before and after', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const id = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id
  await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '11', failure_message: 'Cyclades VMs out of limit' } })
  await h.call('DELETE', `/api/lambda-instances/${id}/`)

  const reply = await h.call('GET', `/api/lambda-instances/${id}/history/`)
  t.equal(reply.statusCode, 200)
  const body = reply.json()
  t.same(body.status, { code: 200, short_description: 'Lambda instance history' })
  t.match(body.data, [
    { version: 0, event: 'InstanceRequested', actor: h.alice.id, actor_name: h.alice.name, status_before: null, status_after: { code: '2', message: 'PENDING' } },
    { version: 1, event: 'InstanceStatusChanged', status_before: { message: 'PENDING' }, status_after: { message: 'CLUSTER_FAILED' }, failure_message: 'Cyclades VMs out of limit' },
    { version: 2, event: 'InstanceDestroyRequested', status_before: { message: 'CLUSTER_FAILED' }, status_after: { message: 'DESTROYING' }, failure_message: '' },
  ])
  t.equal(body.data.length, 3)
  t.match(body.data[0], { time: /Z$/, request_id: String, position: Number })
  t.equal(body.pagination, undefined, 'no limit, no pagination')

  const page = (await h.call('GET', `/api/lambda-instances/${id}/history/?limit=1&offset=1`)).json()
  t.equal(page.data.length, 1)
  t.equal(page.data[0].version, 1)
  t.match(page.pagination, { count: 3, next: /limit=1&offset=2/, previous: /limit=1/ })
})

t.test('another owner, an unknown or malformed id: 404; a bad limit: 400', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const id = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id
  const notFound = { errors: [{ status: 404, detail: "The specified lambda instance doesn't exist." }] }
  t.same((await h.call('GET', `/api/lambda-instances/${id}/history/`, { token: h.bob.token })).json(), notFound)
  t.same((await h.call('GET', `/api/lambda-instances/${randomUUID()}/history/`)).json(), notFound)
  t.same((await h.call('GET', '/api/lambda-instances/nope/history/')).json(), notFound)
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/history/`, { token: null })).statusCode, 401)
  t.equal((await h.call('GET', `/api/lambda-instances/${id}/history/?limit=-1`)).statusCode, 400)
  t.equal((await h.call('POST', `/api/lambda-instances/${id}/history/`)).statusCode, 405)
})
