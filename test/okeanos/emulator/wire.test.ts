// What kamaki sees on the wire: Django's status lines, the Network API's `detail` lists, and Synnefo's
// not-found texts. Over node:http so the reason phrase is read as sent, not as a client rewrites it.
import http from 'node:http'
import t from 'tap'
import { Okeanos, OkeanosError } from '../../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, IMAGES } from '../../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1, retries: 0 })
const auth = { 'x-auth-token': alice!.token }
const json = { ...auth, 'content-type': 'application/json' }

interface Answer {
  status: number
  phrase: string
  body: string
}

function call(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${emu.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, phrase: res.statusMessage!, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const statusLine = (r: Answer) => `${r.status} ${r.phrase}`

t.test('every status line carries the upper-case Django reason phrase', async (t) => {
  t.equal(statusLine(await call('GET', '/compute/v2.0/servers', { 'x-auth-token': 'bogus' })), '401 UNAUTHORIZED', 'Cyclades, bad token')
  t.equal(
    statusLine(await call('POST', '/identity/v2.0/tokens', { 'content-type': 'application/json' }, JSON.stringify({ auth: { token: { id: 'bogus' } } }))),
    '401 UNAUTHORIZED',
    'Astakos, bad token',
  )
  t.equal(statusLine(await call('GET', '/compute/v2.0/servers/999999', auth)), '404 NOT FOUND', 'missing server')
  t.equal(statusLine(await call('GET', '/network/v2.0/floatingips/999999', auth)), '404 NOT FOUND', 'missing floating IP')
  t.equal(statusLine(await call('GET', '/compute/v2.0/no-such-thing', auth)), '400 BAD REQUEST', 'unknown endpoint')
  t.equal(statusLine(await call('DELETE', '/compute/v2.0/flavors', auth)), '405 METHOD NOT ALLOWED')

  emu.setFloatingIpPoolSize(0)
  t.teardown(() => emu.setFloatingIpPoolSize(253))
  const full = await call('POST', '/network/v2.0/floatingips', json, JSON.stringify({ floatingip: { project: DEMO_PROJECT_ID } }))
  t.equal(statusLine(full), '409 CONFLICT', 'pool exhausted')

  // Django's older table, not RFC 7231's "Payload Too Large".
  const huge = await call('POST', '/compute/v2.0/servers', json, JSON.stringify({ server: { name: 'x'.repeat(2 * 1024 * 1024) } }))
  t.equal(statusLine(huge), '413 REQUEST ENTITY TOO LARGE', 'body over the limit')

  t.equal(statusLine(await call('GET', '/compute/v2.0/flavors', auth)), '200 OK')
  t.equal(statusLine(await call('GET', '/_emulator/state')), '200 OK', 'the admin API too')

  const net = await call('POST', '/network/v2.0/networks', json, JSON.stringify({ network: { name: 'wire', type: 'MAC_FILTERED', project: DEMO_PROJECT_ID } }))
  t.equal(statusLine(net), '201 CREATED')
  const flavor = (await a.compute.findFlavor(2, 2048, 20))!
  const server = { name: 'wire-vm', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [] }
  const created = await call('POST', '/compute/v2.0/servers', json, JSON.stringify({ server }))
  t.equal(statusLine(created), '202 ACCEPTED')
  const netId = (JSON.parse(net.body) as { network: { id: string } }).network.id
  t.equal(statusLine(await call('DELETE', `/network/v2.0/networks/${netId}`, auth)), '204 NO CONTENT')
})

t.test('injected faults get their own phrase, also when they replace a real answer', async (t) => {
  t.teardown(() => emu.clearFaults())
  emu.injectFault({ method: 'GET', path: '^/compute/v2.0/flavors$', status: 503 })
  t.equal(statusLine(await call('GET', '/compute/v2.0/flavors', auth)), '503 SERVICE UNAVAILABLE')
  emu.injectFault({ method: 'GET', path: '^/compute/v2.0/flavors$', status: 500, after: true })
  t.equal(statusLine(await call('GET', '/compute/v2.0/flavors', auth)), '500 INTERNAL SERVER ERROR', 'after the handler answered 200')
  emu.injectFault({ method: 'GET', path: '^/network/v2.0/networks$', status: 403 })
  t.equal(statusLine(await call('GET', '/network/v2.0/networks', auth)), '403 FORBIDDEN')
  // Synnefo's networkInUse: a code Django's table does not know.
  emu.injectFault({ method: 'GET', path: '^/network/v2.0/networks$', status: 421 })
  t.equal(statusLine(await call('GET', '/network/v2.0/networks', auth)), '421 UNKNOWN STATUS CODE')
})

t.test('the client still reports a bodyless failure by its status line', async (t) => {
  t.teardown(() => emu.clearFaults())
  await a.pithos.createContainer('wire')
  emu.injectFault({ method: 'HEAD', path: '/wire/app\\.jar$', status: 503 })
  const e = await a.pithos.headObject('wire', 'app.jar').then(() => undefined, (err: unknown) => err)
  t.ok(e instanceof OkeanosError)
  t.match(e, { status: 503, faultName: 'httpError', okeanosMessage: 'SERVICE UNAVAILABLE' })
})

t.test('ports, subnets and floating IPs answer /detail with the plain list', async (t) => {
  const net = await a.network.createNetwork({ name: 'wire-detail', type: 'MAC_FILTERED', project: DEMO_PROJECT_ID })
  await a.network.createSubnet({ network_id: net.id, cidr: '192.168.7.0/24' })
  await a.network.createFloatingIp({ project: DEMO_PROJECT_ID })
  const flavor = (await a.compute.findFlavor(2, 2048, 20))!
  await a.compute.createServer({ name: 'wire-port', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [{ uuid: net.id }] })

  for (const kind of ['ports', 'subnets', 'floatingips']) {
    const plain = await call('GET', `/network/v2.0/${kind}`, auth)
    const detail = await call('GET', `/network/v2.0/${kind}/detail`, auth)
    t.equal(statusLine(detail), '200 OK', `${kind}/detail`)
    const list = (JSON.parse(detail.body) as Record<string, unknown[]>)[kind]
    t.ok(list && list.length > 0, `${kind}/detail lists something`)
    t.same(JSON.parse(detail.body), JSON.parse(plain.body), `${kind}/detail is the plain list`)
  }
})

t.test("a missing floating IP is Synnefo's itemNotFound, with the ID in the text", async (t) => {
  const missing = await call('GET', '/network/v2.0/floatingips/424242', auth)
  t.equal(missing.status, 404)
  t.same(JSON.parse(missing.body), { itemNotFound: { code: 404, message: 'Floating IP with ID 424242 does not exist.', details: '' } })
  const gone = await call('DELETE', '/network/v2.0/floatingips/424242', auth)
  t.same(JSON.parse(gone.body), { itemNotFound: { code: 404, message: 'Floating IP with ID 424242 does not exist.', details: '' } })
})
