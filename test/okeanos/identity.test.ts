import t from 'tap'
import { inspect } from 'node:util'
import { authenticate, getServiceCatalog, endpointUrl, resolveEndpoints, Okeanos, OkeanosError } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID } from '../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice, bob] = demoUsers()

t.test('authenticate returns user, tenant, expiry and catalog', async (t) => {
  const auth = await authenticate(emu.identityUrl, alice!.token)
  t.equal(auth.user.id, alice!.id)
  t.equal(auth.user.name, alice!.name)
  t.same(auth.user.projects, [alice!.id, DEMO_PROJECT_ID], 'system project first, then member projects')
  t.equal(auth.tenantId, alice!.id, 'default project is the user uuid')
  t.ok(Date.parse(auth.tokenExpires) > Date.now())
  const types = auth.serviceCatalog.map((e) => e.type)
  t.same(types, ['account', 'identity', 'compute', 'network', 'image', 'object-store'])
  const account = auth.serviceCatalog.find((e) => e.name === 'astakos_account')!
  t.equal(account.endpoints[0]!.versionId, 'v1.0')
  t.ok(account.endpoints[0]!['SNF:uiURL'], 'astakosclient needs SNF:uiURL')
  t.equal(endpointUrl(auth.serviceCatalog, 'network'), `${emu.url}/network/v2.0`, 'versioned network URL')
  t.same(resolveEndpoints(auth.serviceCatalog), {
    account: `${emu.url}/account/v1.0`,
    compute: `${emu.url}/compute/v2.0`,
    network: `${emu.url}/network/v2.0`,
    objectStore: `${emu.url}/object-store/v1`,
    image: `${emu.url}/image/v1.0`,
  })
})

t.test('invalid and expired tokens are 401', async (t) => {
  const err = await authenticate(emu.identityUrl, 'not-a-token').catch((e: unknown) => e)
  t.ok(err instanceof OkeanosError)
  t.match(err, { status: 401, faultName: 'unauthorized', okeanosMessage: 'Invalid token', message: 'Invalid token' })

  emu.addUser({ token: 'expired-token-0123456789', id: '0e0e0e0e-1111-4222-8333-444455556666', name: 'Old Timer', expired: true })
  const expired = await authenticate(emu.identityUrl, 'expired-token-0123456789').catch((e: unknown) => e)
  t.match(expired, { status: 401, okeanosMessage: 'Authentication expired' })
  emu.setUserExpired(bob!.id, true)
  t.match(await authenticate(emu.identityUrl, bob!.token).catch((e: unknown) => e), { status: 401 })
  emu.setUserExpired(bob!.id, false)
  t.equal((await authenticate(emu.identityUrl, bob!.token)).user.id, bob!.id)
})

t.test('public mode: empty body gives the catalog only', async (t) => {
  const catalog = await getServiceCatalog(emu.identityUrl)
  t.equal(endpointUrl(catalog, 'compute'), `${emu.url}/compute/v2.0`)
  const raw = await fetch(`${emu.identityUrl}/tokens`, { method: 'POST' })
  const body = (await raw.json()) as { access: Record<string, unknown> }
  t.same(Object.keys(body.access), ['serviceCatalog'])
})

t.test('passwordCredentials and malformed bodies', async (t) => {
  const post = (body: string) =>
    fetch(`${emu.identityUrl}/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const ok = await post(JSON.stringify({ auth: { passwordCredentials: { username: alice!.id, password: alice!.token } } }))
  t.equal(ok.status, 200)
  const wrong = await post(JSON.stringify({ auth: { passwordCredentials: { username: bob!.id, password: alice!.token } } }))
  t.equal(wrong.status, 401)
  t.same(await wrong.json(), { unauthorized: { code: 401, message: 'Invalid credentials', details: '' } })
  const noCreds = await post('{"auth": {}}')
  t.equal(noCreds.status, 400)
  t.equal(((await noCreds.json()) as { badRequest: { message: string } }).badRequest.message, 'Malformed request: missing credentials')
  t.equal((await post('{"auth": {"token": {}}}')).status, 400)
  t.equal((await post('{not json')).status, 400)
  const tenant = await post(JSON.stringify({ auth: { token: { id: alice!.token }, tenantName: bob!.id } }))
  t.equal(tenant.status, 400)
})

t.test('transport rules: unknown path, wrong method, missing token, headers', async (t) => {
  const unknown = await fetch(`${emu.url}/compute/v2.0/nothing-here`, { headers: { 'x-auth-token': alice!.token } })
  t.equal(unknown.status, 400)
  t.same(await unknown.json(), { badRequest: { code: 400, message: 'API endpoint not found', details: '' } })

  const wrong = await fetch(`${emu.url}/compute/v2.0/flavors`, { method: 'DELETE', headers: { 'x-auth-token': alice!.token } })
  t.equal(wrong.status, 405)
  t.equal(wrong.headers.get('allow'), 'GET, HEAD')
  t.same(await wrong.json(), { notAllowed: { code: 405, message: 'Method not allowed', details: '' } })

  const noToken = await fetch(`${emu.url}/compute/v2.0/servers`)
  t.equal(noToken.status, 401)
  t.same(await noToken.json(), { unauthorized: { code: 401, message: 'Access denied. No authentication token', details: '' } })

  // Cyclades wraps Astakos' 401 in a generic fault: branch on the status, not the key.
  const badToken = await fetch(`${emu.url}/compute/v2.0/servers`, { headers: { 'x-auth-token': 'bogus' } })
  t.equal(badToken.status, 401)
  const body = (await badToken.json()) as { fault: { message: string } }
  t.equal(body.fault.message, 'UNAUTHORIZED')
  t.equal(badToken.headers.get('content-type'), 'application/json; charset=UTF-8')
  t.equal(badToken.headers.get('vary'), 'X-Auth-Token')

  const h = { 'x-auth-token': alice!.token }
  const noCt = await fetch(`${emu.url}/compute/v2.0/servers`, { method: 'POST', headers: h, body: new Uint8Array([123, 125]) })
  t.equal(((await noCt.json()) as { badRequest: { message: string } }).badRequest.message, 'Missing Content-Type header field')
  const textCt = await fetch(`${emu.url}/compute/v2.0/servers`, { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: '{}' })
  t.equal(((await textCt.json()) as { badRequest: { message: string } }).badRequest.message, "Unsupported Content-type: 'text/plain'")
  const badJson = await fetch(`${emu.url}/compute/v2.0/servers`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{' })
  t.equal(((await badJson.json()) as { badRequest: { message: string } }).badRequest.message, 'Could not decode request body as JSON')
  const missing = await fetch(`${emu.url}/compute/v2.0/servers`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: '{}' })
  t.equal(((await missing.json()) as { badRequest: { message: string } }).badRequest.message, "Malformed request. Missing attribute 'server'.")
})

t.test('Okeanos.connect resolves endpoints; the request log never holds tokens', async (t) => {
  const ok = await Okeanos.connect(emu.identityUrl, alice!.token)
  t.equal(ok.user.id, alice!.id)
  t.equal(ok.endpoints.compute, `${emu.url}/compute/v2.0`)
  t.notMatch(inspect(ok, { depth: 10 }), alice!.token, 'the client never prints its token')
  t.notMatch(JSON.stringify(ok), alice!.token)
  const log = JSON.stringify(emu.requests())
  t.notMatch(log, alice!.token)
  t.notMatch(JSON.stringify(emu.snapshot()), alice!.token)
})
