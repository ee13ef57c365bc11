import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createBody, requestedBy, startHarness, statusChanged } from '../../support/harness.js'

// Details and list pages are answered from replies kept in memory (projections/instances/reply-cache.ts): every write
// shows in the next read all the same, the writer's and everyone else's.

t.test('a read right after a write sees it, with the replies cached', async (t) => {
  const h = await startHarness(t)
  const list = async () => (await h.call('GET', '/api/lambda-instances/?limit=5')).json()
  const details = async (id: string) => (await h.call('GET', `/api/lambda-instances/${id}/`)).json().data[0]
  const created = (await h.call('POST', '/api/lambda-instance/', { payload: createBody })).json().data[0].id
  t.equal((await list()).pagination.count, 1)
  t.equal((await details(created)).status.message, 'PENDING')
  await list()
  await details(created)

  t.equal((await h.call('POST', `/api/lambda_instances/${created}/status/`, { payload: { status: '0' } })).statusCode, 202)
  t.equal((await details(created)).status.message, 'STARTED', 'details after a status update')
  t.equal((await list()).data[0].status.message, 'STARTED', 'the list after a status update')

  // A registered record, so that the status family's DELETE marks it DESTROYED at once (no destroy reactor here).
  const second = randomUUID()
  const registered = { uuid: second, name: 'second', instance_info: 'test_content', status: '0', failure_message: '' }
  t.equal((await h.call('POST', '/api/lambda_instances/', { payload: registered })).statusCode, 202)
  t.equal((await list()).pagination.count, 2, 'the list after a create')

  t.equal((await h.call('DELETE', `/api/lambda_instances/${second}`)).statusCode, 202)
  t.same((await list()).data.map((i: { id: string }) => i.id), [created], 'the list after a destroy')
  t.equal((await details(second)).status.message, 'DESTROYED')

  // Events appended by others (a reactor, another owner) are seen as well.
  await h.given(created, statusChanged('1'))
  t.equal((await details(created)).status.message, 'STOPPED')
  t.equal((await list()).data[0].status.message, 'STOPPED')
  const bobs = randomUUID()
  await h.given(bobs, requestedBy(h.bob.id))
  t.equal((await list()).pagination.count, 1, "another owner's instance is not in the list")
  t.equal((await h.call('GET', `/api/lambda-instances/${bobs}/`)).statusCode, 404, "nor are its details")
  t.equal((await h.call('GET', `/api/lambda-instances/${bobs}/`, { token: h.bob.token })).statusCode, 200)
  t.equal((await h.call('GET', `/api/lambda-instances/${created}/`, { token: h.bob.token })).statusCode, 404, 'a cached reply is its owner\'s only')
})
