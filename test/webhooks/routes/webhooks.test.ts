import t, { type Test } from 'tap'
import { startHarness, type Harness } from '../../support/harness.js'

// docs/api.md "Webhooks": the endpoints' routes, the secret answered once, refusals that write nothing, and owners
// who see only their own.

const publicResolve = async () => ['93.184.216.34']

async function harness(t: Test) {
  return startHarness(t, { webhooks: { resolve: publicResolve } })
}

const create = (h: Harness, payload: unknown, options: { token?: string; headers?: Record<string, string> } = {}) =>
  h.call('POST', '/api/webhooks/', { payload, ...options })

t.test('created with its secret once; listed and shown without it; rotated; deleted', async (t) => {
  const h = await harness(t)
  const created = await create(h, { url: 'https://hooks.example.com/lod', events: ['instance.status_changed'], description: 'CI' })
  t.equal(created.statusCode, 201, created.body)
  const [item] = created.json().data
  t.match(item, { id: String, secret: /^whsec_[A-Za-z0-9+/=]{44}$/, url: 'https://hooks.example.com/lod', events: ['instance.status_changed'], description: 'CI', secret_generation: 1 })
  t.match(item.links.self, new RegExp(`/api/webhooks/${item.id}$`))

  const details = await h.call('GET', `/api/webhooks/${item.id}/`)
  t.equal(details.statusCode, 200)
  t.match(details.json().data[0], { id: item.id, url: 'https://hooks.example.com/lod', secret_generation: 1 })
  t.notOk(details.body.includes(item.secret) || details.body.includes('whsec_'), 'no secret in the details')
  const list = await h.call('GET', '/api/webhooks/?limit=1')
  t.same(list.json().data.map((w: { id: string }) => w.id), [item.id])
  t.match(list.json().pagination, { count: 1, next: null, previous: null })
  t.notOk(list.body.includes('whsec_'), 'no secret in the list')

  const rotated = await h.call('POST', `/api/webhooks/${item.id}/rotate-secret/`)
  t.equal(rotated.statusCode, 202, rotated.body)
  const [rotation] = rotated.json().data
  t.match(rotation, { id: item.id, secret: /^whsec_/, secret_generation: 2, previous_valid_until: String })
  t.not(rotation.secret, item.secret)
  t.equal(Date.parse(rotation.previous_valid_until) - Date.now() > 23.9 * 3600_000, true, 'the old secret signs for 24 h more')
  t.equal((await h.call('GET', `/api/webhooks/${item.id}/`)).json().data[0].secret_generation, 2)

  const events = JSON.stringify(await h.service.log.readAll(0, 1000))
  t.notOk(events.includes(item.secret) || events.includes(rotation.secret) || events.includes('whsec_'), 'no secret in any event')

  t.equal((await h.call('DELETE', `/api/webhooks/${item.id}/`)).statusCode, 202)
  t.equal((await h.call('GET', `/api/webhooks/${item.id}/`)).statusCode, 404)
  t.same((await h.call('GET', '/api/webhooks/')).json().data, [])
  t.equal((await h.call('DELETE', `/api/webhooks/${item.id}/`)).statusCode, 404)
})

t.test("another owner's webhook is missing: details, deliveries, rotate, delete, retry; lists show only one's own", async (t) => {
  const h = await harness(t)
  const id = (await create(h, { url: 'https://hooks.example.com/a' })).json().data[0].id as string
  const bob = { token: h.bob.token }
  const bobs = await create(h, { url: 'https://hooks.example.com/b' }, bob)
  t.equal(bobs.statusCode, 201)
  for (const [method, url] of [
    ['GET', `/api/webhooks/${id}/`],
    ['GET', `/api/webhooks/${id}/deliveries/`],
    ['POST', `/api/webhooks/${id}/rotate-secret/`],
    ['DELETE', `/api/webhooks/${id}/`],
    ['POST', `/api/webhooks/${id}/deliveries/${id}/retry/`],
  ] as const) {
    const reply = await h.call(method, url, bob)
    t.equal(reply.statusCode, 404, `${method} ${url}`)
  }
  t.same((await h.call('GET', '/api/webhooks/', bob)).json().data.map((w: { id: string }) => w.id), [bobs.json().data[0].id])
  t.same((await h.call('GET', '/api/webhooks/')).json().data.map((w: { id: string }) => w.id), [id])
  t.equal((await h.call('GET', '/api/webhooks/not-a-uuid/')).statusCode, 404)
  t.equal((await h.call('GET', `/api/webhooks/${id}/`)).json().data[0].secret_generation, 1, 'unchanged by the refused rotation')
})

t.test('a refused create writes nothing: bad fields, a private destination, credentials in the URL', async (t) => {
  const h = await startHarness(t, { webhooks: { resolve: async (host) => (host === 'internal.example' ? ['10.0.0.7'] : ['93.184.216.34']) } })
  const head = await h.service.log.headPosition()
  const refused = async (payload: unknown, detail: RegExp) => {
    const reply = await create(h, payload)
    t.equal(reply.statusCode, 400, reply.body)
    t.match(JSON.stringify(reply.json().errors), detail)
  }
  await refused({}, /url: this field is required/)
  await refused({ url: 'ftp://example.com/' }, /url: must be an absolute http/)
  await refused({ url: 'https://u:p@example.com/' }, /user name or password/)
  await refused({ url: 'https://example.com/', events: ['instance.deleted'] }, /events: each must be one of/)
  await refused({ url: 'https://internal.example/hook' }, /resolves to a loopback, private, link-local/)
  await refused({ url: 'http://127.0.0.1:8080/' }, /127\.0\.0\.1 resolves to a loopback/)
  await refused({ url: 'http://169.254.169.254/latest/meta-data/' }, /non-public address/)
  await refused({ url: 'http://[::ffff:7f00:1]/' }, /non-public address/)
  t.equal(await h.service.log.headPosition(), head, 'nothing appended')
  t.same((await h.call('GET', '/api/webhooks/')).json().data, [])
})

t.test('an Idempotency-Key replay answers the same secret; the stored reply does not hold it; another owner gets no replay', async (t) => {
  const h = await harness(t)
  const headers = { 'idempotency-key': 'create-hook-1' }
  const body = { url: 'https://hooks.example.com/lod' }
  const first = await create(h, body, { headers })
  const again = await create(h, body, { headers })
  t.equal(again.statusCode, 201)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(again.json(), first.json(), 'the same answer, secret included')
  const stored = await h.service.log.findIdempotency(`user:${h.alice.id}`, 'create-hook-1')
  t.ok(stored)
  t.notOk(stored!.body.includes('whsec_'), 'the idempotency record keeps no secret')
  const bobs = await create(h, body, { headers, token: h.bob.token })
  t.equal(bobs.statusCode, 201)
  t.not(bobs.headers['idempotent-replayed'], 'true')
  t.not(bobs.json().data[0].id, first.json().data[0].id, "bob's key is his own: a webhook of his")
  t.not(bobs.json().data[0].secret, first.json().data[0].secret)
})
