import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, startHarness, statusChanged } from '../../support/harness.js'
import { instanceStream } from '../../../src/instances/events.js'

// The status family (docs/original.md "Status family" and the central cases of "What the original's tests asserted"), over HTTP.

const notFound = "The specified lambda instance doesn't exist."
const registerBody = (uuid = '24b8a635-8d71-4016-b8f5-c4a14348ed1f') => ({ uuid, name: 'My first Lambda instance', instance_info: 'test_content', status: '0', failure_message: 'OK' })

t.test('create (register)', async (t) => {
  const h = await startHarness(t)
  t.test('new: 202 with data.id', async (t) => {
    const res = await h.call('POST', '/api/lambda_instances/', { payload: registerBody() })
    t.equal(res.statusCode, 202)
    t.same(res.json(), { status: { code: 202, short_description: 'Your request to create a new lambda instance has been accepted.' }, data: [{ id: '24b8a635-8d71-4016-b8f5-c4a14348ed1f' }] })
  })
  t.test('existing, even for another owner: 409', async (t) => {
    const res = await h.call('POST', '/api/lambda_instances/', { payload: registerBody(), token: h.bob.token })
    t.equal(res.statusCode, 409)
    t.same(res.json().errors, [{ status: 409, detail: 'The specified lambda instance has already been created.' }])
  })
  t.test('missing fields: 400, one error per field, nothing appended', async (t) => {
    const before = await h.service.log.headPosition()
    const res = await h.call('POST', '/api/lambda_instances/', { payload: { name: 'x' } })
    t.equal(res.statusCode, 400)
    t.same(res.json().errors.map((e: { detail: string }) => e.detail).sort(), ['instance_info: This field is required.', 'status: This field is required.', 'uuid: This field is required.'])
    t.equal(await h.service.log.headPosition(), before)
  })
  t.test('a bad status code or uuid: 400', async (t) => {
    t.equal((await h.call('POST', '/api/lambda_instances/', { payload: { ...registerBody(randomUUID()), status: '99' } })).statusCode, 400)
    t.equal((await h.call('POST', '/api/lambda_instances/', { payload: { ...registerBody('abc') } })).statusCode, 400)
  })
})

t.test('status update (both URL forms)', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.call('POST', '/api/lambda_instances/', { payload: registerBody(id) })
  t.test('own: 202, the new status is visible', async (t) => {
    const res = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '21', failure_message: 'Ansible task failed' } })
    t.equal(res.statusCode, 202)
    t.same(res.json(), { status: { code: 202, short_description: 'Lambda instances status update accepted.' }, data: [{ id }] })
    t.same((await h.call('GET', `/api/lambda-instances/${id}?filter=status`)).json().data[0].status, {
      code: '21', message: 'FLINK_FAILED', detail: 'Apache Flink installation and configuration have failed', failure_message: 'Ansible task failed',
    })
  })
  t.test('the URL without /status/ (as the published documents give it) works the same', async (t) => {
    const res = await h.call('POST', `/api/lambda_instances/${id}`, { payload: { status: '20', failure_message: 'OK' } })
    t.equal(res.statusCode, 202)
  })
  t.test('the same status: 409 naming the code', async (t) => {
    const res = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '20' } })
    t.same([res.statusCode, res.json().errors], [409, [{ status: 409, detail: 'The specified lambda instance status is already 20.' }]])
  })
  t.test('missing: 404; another owner: 404', async (t) => {
    t.same((await h.call('POST', `/api/lambda_instances/${randomUUID()}/status/`, { payload: { status: '1' } })).json().errors, [{ status: 404, detail: notFound }])
    t.equal((await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '1' }, token: h.bob.token })).statusCode, 404)
  })
  t.test('no status: 400', async (t) => {
    const res = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { failure_message: 'x' } })
    t.same([res.statusCode, res.json().errors], [400, [{ status: 400, detail: 'status: This field is required.' }]])
  })
  t.test("the instance's service-VM token works for its own instance only", async (t) => {
    const token = await h.service.secrets.instanceToken(id)
    const own = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '0' }, token })
    t.equal(own.statusCode, 202)
    const events = await h.service.log.readStream(instanceStream(id))
    t.match(events.at(-1), { type: 'InstanceStatusChanged', data: { status: '0', source: 'service-vm' }, metadata: { actor: 'service-vm' } })
    t.notMatch(JSON.stringify(events), token, 'the token is not in the log')
    const other = randomUUID()
    await h.given(other, requestedBy(h.alice.id))
    t.equal((await h.call('POST', `/api/lambda_instances/${other}/status/`, { payload: { status: '10' }, token })).statusCode, 401)
    t.equal((await h.call('GET', '/api/lambda-instances/', { token })).statusCode, 401, 'it is no user token')
  })
})

t.test('destroy (mark destroyed)', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.call('POST', '/api/lambda_instances/', { payload: registerBody(id) })
  t.test("another user's: 404", async (t) => t.equal((await h.call('DELETE', `/api/lambda_instances/${id}`, { token: h.bob.token })).statusCode, 404))
  t.test('own: 202 with data.id (with the JSON content type and no body of the published documents)', async (t) => {
    const res = await h.call('DELETE', `/api/lambda_instances/${id}`, { headers: { 'content-type': 'application/json' } })
    t.same([res.statusCode, res.json()], [202, { status: { code: 202, short_description: 'Your request to destroy the specified lambda instance has been accepted.' }, data: [{ id }] }])
  })
  t.test('already destroyed: 404', async (t) => t.equal((await h.call('DELETE', `/api/lambda_instances/${id}/`)).statusCode, 404))
  t.test('missing: 404', async (t) => t.equal((await h.call('DELETE', `/api/lambda_instances/${randomUUID()}`)).statusCode, 404))
  t.test('an instance requested here is destroyed by the destroy reactor, not marked dead', async (t) => {
    const built = randomUUID()
    await h.given(built, requestedBy(h.alice.id), statusChanged('0'))
    t.equal((await h.call('DELETE', `/api/lambda_instances/${built}`)).statusCode, 202)
    t.match((await h.service.log.readStream(instanceStream(built))).at(-1), { type: 'InstanceDestroyRequested' })
    t.equal((await h.call('GET', `/api/lambda-instances/${built}?filter=status`)).json().data[0].status.message, 'DESTROYING')
  })
})

t.test('list: only own, destroyed included, raw, paginated', async (t) => {
  const h = await startHarness(t)
  const ids = Array.from({ length: 5 }, () => randomUUID())
  for (const id of ids) await h.call('POST', '/api/lambda_instances/', { payload: registerBody(id) })
  await h.call('DELETE', `/api/lambda_instances/${ids[0]}`)
  await h.call('POST', '/api/lambda_instances/', { payload: registerBody(randomUUID()), token: h.bob.token })
  const res = await h.call('GET', '/api/lambda_instances/')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(body.status, { code: 200, short_description: 'Lambda instances.' })
  t.same(body.data.map((i: { uuid: string }) => i.uuid), ids)
  t.same(body.data[0], { uuid: ids[0], name: 'My first Lambda instance', instance_info: 'test_content', status: '6', failure_message: '' })
  const page = (await h.call('GET', '/api/lambda_instances/?limit=2&offset=2')).json()
  t.same(page.data.map((i: { uuid: string }) => i.uuid), ids.slice(2, 4))
  t.equal(page.pagination.count, 5)
  t.same((await h.call('GET', '/api/lambda_instances/?limit=-1')).json(), { errors: [{ status: 400, detail: 'Limit value should be an integer greater or equal to zero.' }] })
  t.same((await h.call('GET', '/api/lambda_instances/', { token: h.bob.token })).json().data.length, 1)
})

t.test('count: no auth, all owners, strings', async (t) => {
  const h = await startHarness(t)
  const zero = await h.call('GET', '/api/lambda_instances/count', { token: null })
  t.same([zero.statusCode, zero.json()], [200, { status: { code: 200, short_description: 'Lambda instances count.' }, data: { count: '0', running_lambda_instances: '0', created_lambda_instances: '0' } }])
  await h.given(randomUUID(), requestedBy(h.alice.id), statusChanged('0'))
  await h.given(randomUUID(), requestedBy(h.bob.id), statusChanged('0'))
  await h.given(randomUUID(), requestedBy(h.bob.id))
  await h.given(randomUUID(), requestedBy(h.bob.id), statusChanged('6'))
  t.same((await h.call('GET', '/api/lambda_instances/count/', { token: null })).json().data, { count: '3', running_lambda_instances: '2', created_lambda_instances: '4' })
})
