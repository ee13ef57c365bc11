import t from 'tap'
import { DEMO_PROJECT_ID } from '../../../src/okeanos/emulator/index.js'
import { createBody, startHarness } from '../../support/harness.js'

// docs/original.md "What ~okeanos offers the user": what ~okeanos offers the user, read live from the emulator.

t.test('user-public-keys passes the ~okeanos keys through', async (t) => {
  const h = await startHarness(t)
  const res = await h.call('GET', '/api/user-public-keys/')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(body.status, { short_description: 'Public keys uploaded to ~okeanos', code: 200 })
  t.same(body.data.map((k: { name: string }) => k.name).sort(), ['alice-desktop', 'alice-laptop'])
  for (const key of body.data) t.same(Object.keys(key).sort(), ['content', 'fingerprint', 'id', 'name', 'uri'])
  t.same((await h.call('GET', '/api/user-public-keys', { token: h.bob.token })).json().data.length, 1, "bob's own keys")
})

t.test('user-okeanos-projects lists active projects with what is still available', async (t) => {
  const h = await startHarness(t)
  const body = (await h.call('GET', '/api/user-okeanos-projects/')).json()
  t.same(body.status, { short_description: '~okeanos projects', code: 200 })
  const demo = body.data.find((p: { id: string }) => p.id === DEMO_PROJECT_ID)
  t.equal(demo.name, 'lambda.grnet.gr')
  for (const field of ['cpu', 'disk', 'floating_ip', 'private_network', 'ram', 'vm', 'pithos_space']) t.type(demo[field], 'number', field)
  t.ok(demo.ram > 2 ** 30, 'ram in bytes')
})

t.test('vm-parameter-values: the creatable flavors, and create validates against them', async (t) => {
  const h = await startHarness(t)
  const body = (await h.call('GET', '/api/vm-parameter-values/')).json()
  t.same(body.status, { short_description: 'Allowed values of parameters for creating a Lambda Instance', code: 200 })
  t.equal(body.data.length, 1)
  const { vcpus, ram, disk } = body.data[0]
  for (const list of [vcpus, ram, disk]) t.same(list, [...list].sort((a: number, b: number) => a - b))
  t.ok(vcpus.includes(1) && vcpus.includes(8))
  const res = await h.call('POST', '/api/lambda-instance/', { payload: { ...createBody, vcpus_master: 1 } })
  t.equal(res.statusCode, 400)
  t.match(res.json().errors[0].detail[0], /^vcpus_master: Wrong Number of master vcpus, available choices \[2, .*8\]\.$/)
})

t.test('~okeanos down: a 502 naming it, and create falls back to the original defaults', async (t) => {
  const h = await startHarness(t)
  await h.call('GET', '/api/authenticate/') // the token is now cached
  h.emulator.injectFault({ method: 'GET', path: 'flavors', status: 503, times: 100 })
  const res = await h.call('GET', '/api/vm-parameter-values/')
  t.equal(res.statusCode, 502)
  t.match(res.json().errors[0].detail, /^~okeanos: /)
  t.equal((await h.call('POST', '/api/lambda-instance/', { payload: createBody })).statusCode, 202)
})
