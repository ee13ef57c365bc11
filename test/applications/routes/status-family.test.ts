import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, startHarness } from '../../support/harness.js'

// The status family for applications and the users count (docs/original.md "Status family"; the central cases of "What the original's tests asserted").

const body = (uuid: string) => ({ uuid, name: 'app.jar', description: 'desc', status: '0', failure_message: 'OK' })

t.test('create, update, delete, list, counters and counts', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  t.test('create: 202, then 409 for any owner', async (t) => {
    const res = await h.call('POST', '/api/lambda_applications/', { payload: body(id) })
    t.same([res.statusCode, res.json()], [202, { status: { code: 202, short_description: 'Your request to create the specified application has been accepted.' }, data: [{ id }] }])
    const again = await h.call('POST', '/api/lambda_applications/', { payload: body(id), token: h.bob.token })
    t.same([again.statusCode, again.json().errors[0].detail], [409, 'The specified lambda application has already been created.'])
    t.equal((await h.call('POST', '/api/lambda_applications/', { payload: { name: 'x' } })).statusCode, 400)
  })
  t.test('update: 202; same status 409; missing or not owned 404', async (t) => {
    const res = await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '2', failure_message: 'broke' } })
    t.same([res.statusCode, res.json().status.short_description], [202, 'Lambda application status update accepted.'])
    const same = await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '2' } })
    t.same([same.statusCode, same.json().errors[0].detail], [409, 'The specified lambda application status is already 2.'])
    t.same((await h.call('POST', `/api/lambda_applications/${randomUUID()}/status/`, { payload: { status: '1' } })).json().errors[0], { status: 404, detail: "The specified application doesn't exist." })
    t.equal((await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '1' }, token: h.bob.token })).statusCode, 404)
    t.equal((await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '21' } })).statusCode, 400, 'an unknown application status')
    await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '0' } })
  })
  t.test('increment and decrement the times started', async (t) => {
    const inc = await h.call('POST', `/api/lambda_applications/${id}/increment_started/`)
    t.same([inc.statusCode, inc.json()], [202, { code: 202, short_description: 'Your request to increment the times started of the specified application has been accepted.' }])
    t.equal((await h.call('POST', `/api/lambda_applications/${randomUUID()}/increment_started/`)).statusCode, 404)
    t.same((await h.call('GET', '/api/lambda_applications/count', { token: null })).json().data, [{ uploaded_applications: '1', running_applications: '1' }])
    const dec = await h.call('POST', `/api/lambda_applications/${id}/decrement_started/`)
    t.same([dec.statusCode, dec.json().short_description], [202, 'Your request to decrement the times started of the specified application has been accepted.'])
    const zero = await h.call('POST', `/api/lambda_applications/${id}/decrement_started/`)
    t.same([zero.statusCode, zero.json().errors[0].detail], [409, "Can't decrement started times counter for the specified application, the counter is already 0."])
    t.equal((await h.call('POST', `/api/lambda_applications/${randomUUID()}/decrement_started/`)).statusCode, 404)
  })
  t.test('list: own, raw, paginated', async (t) => {
    for (let i = 0; i < 3; i++) await h.call('POST', '/api/lambda_applications/', { payload: body(randomUUID()) })
    await h.call('POST', '/api/lambda_applications/', { payload: body(randomUUID()), token: h.bob.token })
    const list = (await h.call('GET', '/api/lambda_applications/')).json()
    t.same(list.status, { code: 200, short_description: 'Lambda Applications.' })
    t.same(list.data[0], { uuid: id, description: 'desc', name: 'app.jar', status: '0', failure_message: '' })
    t.equal(list.data.length, 4)
    t.same((await h.call('GET', '/api/lambda_applications/?limit=2&offset=3')).json().pagination.count, 4)
    t.same((await h.call('GET', '/api/lambda_applications/?limit=x')).json().errors[0].detail, 'Limit value should be an integer greater or equal to zero.')
  })
  t.test('delete: 202, then 404', async (t) => {
    t.equal((await h.call('DELETE', `/api/lambda_applications/${id}/`, { token: h.bob.token })).statusCode, 404)
    const res = await h.call('DELETE', `/api/lambda_applications/${id}/`)
    t.same([res.statusCode, res.json().status.short_description], [202, 'Your request to delete the specified application has been accepted.'])
    t.equal((await h.call('DELETE', `/api/lambda_applications/${id}/`)).statusCode, 404)
  })
  t.test('counts: zero, then users with anything here', async (t) => {
    const users = await h.call('GET', '/api/users/count/', { token: null })
    t.same([users.statusCode, users.json()], [202, { status: { code: 202, short_description: 'Lambda Users count on ~okeanos infrastructure.' }, data: [{ count: '2' }] }])
    await h.given(randomUUID(), requestedBy('carol-uuid'))
    t.same((await h.call('GET', '/api/users/count', { token: null })).json().data, [{ count: '3' }])
  })
})

t.test('zero counts on an empty service', async (t) => {
  const h = await startHarness(t)
  t.same((await h.call('GET', '/api/lambda_applications/count/', { token: null })).json(), {
    status: { code: 200, short_description: 'Lambda applications count.' },
    data: [{ uploaded_applications: '0', running_applications: '0' }],
  })
  t.same((await h.call('GET', '/api/users/count', { token: null })).json().data, [{ count: '0' }])
})
