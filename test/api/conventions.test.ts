import t from 'tap'
import { randomUUID } from 'node:crypto'
import { OwnerTokenValidator } from '../../src/auth/owner-tokens.js'
import { createBody, requestedBy, startHarness, statusChanged } from '../support/harness.js'
import { instanceStream } from '../../src/instances/events.js'

// The conventions every endpoint shares (docs/api.md "Conventions"): envelopes, bad input, methods, slashes, idempotency.

t.test('bad input gets a 4xx envelope and appends nothing', async (t) => {
  const h = await startHarness(t, { bodyLimit: 64 * 1024 })
  const existing = randomUUID()
  await h.given(existing, requestedBy(h.alice.id), statusChanged('0'))
  const before = await h.service.log.headPosition()
  const cases: Array<[string, Parameters<typeof h.call>, number]> = [
    ['malformed JSON', ['POST', '/api/lambda-instance/', { payload: '{"a":', headers: { 'content-type': 'application/json' } }], 400],
    ['empty JSON', ['POST', '/api/lambda-instance/', { payload: '', headers: { 'content-type': 'application/json' } }], 400],
    ['a JSON array', ['POST', '/api/lambda-instance/', { payload: '[1,2]', headers: { 'content-type': 'application/json' } }], 400],
    ['wrong content type', ['POST', '/api/lambda-instance/', { payload: 'hello', headers: { 'content-type': 'text/plain' } }], 415],
    ['xml', ['POST', '/api/lambda_instances/', { payload: '<a/>', headers: { 'content-type': 'application/xml' } }], 415],
    ['oversized body', ['POST', '/api/lambda-instance/', { payload: { ...createBody, instance_name: 'x'.repeat(100_000) } }], 413],
    ['unknown route', ['GET', '/api/nothing-here/'], 404],
    ['unknown route, no auth', ['POST', '/api/lambda-instances/x/y/z', { token: null }], 404],
    ['wrong method', ['PUT', `/api/lambda-instances/${randomUUID()}/`], 405],
    ['wrong method on create', ['GET', '/api/lambda-instance/'], 405],
    ['PATCH', ['PATCH', '/api/lambda_instances/'], 405],
    ['a file on a command route', ['POST', `/api/lambda-instances/${randomUUID()}/`, {
      payload: '--B\r\nContent-Disposition: form-data; name="action"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nstart\r\n--B--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=B' },
    }], 413],
    ['broken multipart', ['POST', `/api/lambda-instances/${existing}/`, { payload: 'garbage', headers: { 'content-type': 'multipart/form-data; boundary=B' } }], 400],
    ['unicode junk in an id', ['DELETE', '/api/lambda-instances/%F0%9F%92%A5/'], 404],
    ['bad percent-encoding', ['GET', '/api/lambda-instances/%E0%A4%A/'], 400],
  ]
  for (const [name, args, status] of cases) {
    const res = await h.call(...args)
    t.equal(res.statusCode, status, `${name}: ${res.body.slice(0, 200)}`)
    const body = res.json()
    t.ok(Array.isArray(body.errors) && body.errors[0].status === status && body.errors[0].detail, `${name} has the error envelope`)
  }
  t.equal(await h.service.log.headPosition(), before)
})

t.test('a trailing slash is optional everywhere', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.given(id, requestedBy(h.alice.id), statusChanged('0'))
  for (const url of ['/api/lambda-instances', '/api/lambda-instances/count', `/api/lambda-instances/${id}`, '/api/lambda_instances', '/api/lambda_instances/count', '/api/authenticate']) {
    t.equal((await h.call('GET', url)).statusCode, 200, url)
    t.equal((await h.call('GET', `${url}/`)).statusCode, 200, `${url}/`)
  }
})

t.test('Idempotency-Key: a retry answers the first reply and appends nothing', async (t) => {
  const h = await startHarness(t)
  const headers = { 'idempotency-key': 'create-1' }
  const first = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
  const head = await h.service.log.headPosition()
  const again = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers })
  t.equal(again.statusCode, 202)
  t.same(again.json(), first.json(), 'same id, same body')
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(await h.service.log.headPosition(), head)
  const other = await h.call('POST', '/api/lambda-instance/', { payload: { ...createBody, slaves: 3 }, headers })
  t.same([other.statusCode, other.json().errors[0].detail], [422, 'Idempotency-Key has already been used for a different request.'])
  const bobs = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers, token: h.bob.token })
  t.not(bobs.json().data[0].id, first.json().data[0].id, "keys are per owner: bob's key is his own")
  t.test('concurrent retries with one key create one instance', async (t) => {
    const replies = await Promise.all(Array.from({ length: 5 }, () => h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: { 'idempotency-key': 'burst' } })))
    t.same(new Set(replies.map((r) => r.json().data[0].id)).size, 1)
    t.same(replies.map((r) => r.statusCode), [202, 202, 202, 202, 202])
  })
  t.test('a destroy retried after it was accepted answers 202 again instead of 409', async (t) => {
    const id = first.json().data[0].id
    const destroy = () => h.call('DELETE', `/api/lambda-instances/${id}/`, { headers: { 'idempotency-key': 'destroy-1' } })
    t.equal((await destroy()).statusCode, 202)
    t.equal((await destroy()).statusCode, 202)
    t.equal((await h.service.log.readStream(instanceStream(id))).filter((e) => e.type === 'InstanceDestroyRequested').length, 1)
  })
  t.test('a malformed key is a 400', async (t) => {
    t.equal((await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: { 'idempotency-key': 'x'.repeat(300) } })).statusCode, 400)
  })
})

t.test('the event metadata records who, which request and the key', async (t) => {
  const h = await startHarness(t)
  const res = await h.call('POST', '/api/lambda-instance/', { payload: createBody, headers: { 'idempotency-key': 'k', 'x-request-id': 'req-42' } })
  const [event] = await h.service.log.readStream(instanceStream(res.json().data[0].id))
  t.same(event!.metadata, { actor: h.alice.id, request_id: 'req-42', correlation_id: 'req-42', idempotency_key: 'k' })
  t.equal(res.headers['x-request-id'], 'req-42')
})

t.test('token validations are cached and shared', async (t) => {
  let calls = 0
  let now = 0
  const validator = new OwnerTokenValidator(
    async (token) => {
      calls++
      await new Promise((r) => setTimeout(r, 10))
      return token === 'good' ? { id: 'u', name: 'U' } : null
    },
    { validTtlMs: 1000, invalidTtlMs: 100, now: () => now },
  )
  const results = await Promise.all([validator.validate('good'), validator.validate('good'), validator.validate('good')])
  t.same(results, [{ id: 'u', name: 'U' }, { id: 'u', name: 'U' }, { id: 'u', name: 'U' }])
  t.equal(calls, 1, 'concurrent validations share one call')
  await validator.validate('good')
  t.equal(calls, 1, 'a valid token is remembered')
  t.equal(await validator.validate('bad'), null)
  t.equal(await validator.validate('bad'), null)
  t.equal(calls, 2, 'an invalid one too')
  now = 500
  await validator.validate('bad')
  t.equal(calls, 3, 'the negative answer expires sooner')
  await validator.validate('good')
  t.equal(calls, 3)
  now = 1500
  await validator.validate('good')
  t.equal(calls, 4)
})

t.test('the service counts on ~okeanos for tokens: down is a 503, not a 401', async (t) => {
  const h = await startHarness(t)
  await h.emulator.close()
  const res = await h.call('GET', '/api/lambda-instances/', { token: 'never-seen-token' })
  t.equal(res.statusCode, 503)
  t.same(res.json().errors[0].status, 503)
})
