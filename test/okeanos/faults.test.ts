import t from 'tap'
import { Okeanos, OkeanosError } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, IMAGES } from '../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1, retries: 3, timeoutMs: 2000 })
const fast = { intervalMs: 5, timeoutMs: 3000 }
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)
const P = DEMO_PROJECT_ID
const flavor = (await a.compute.findFlavor(1, 1024, 10))!
const calls = (method: string, re: RegExp) => emu.requests().filter((r) => r.method === method && re.test(r.path))
t.beforeEach(() => emu.clearFaults())

t.test('GETs are retried through injected 5xx; the fault body reaches the caller', async (t) => {
  const seq = emu.requests().length
  emu.injectFault({ method: 'GET', path: '^/compute/v2.0/flavors/detail$', status: 503, times: 2 })
  t.ok((await a.compute.listFlavors()).length > 0, 'third attempt succeeds')
  const tried = emu.requests().slice(seq).filter((r) => r.path.endsWith('/flavors/detail'))
  t.same(tried.map((r) => r.status), [503, 503, 200])
  t.ok(tried[0]!.injected)

  emu.injectFault({ method: 'GET', path: 'quotas', status: 500, times: 10, message: 'Unexpected error', details: 'boom' })
  const e = await err(a.account.getQuotas())
  t.ok(e instanceof OkeanosError)
  t.match(e, { status: 500, faultName: 'internalServerError', okeanosMessage: 'Unexpected error', details: 'boom', transient: true })
  t.equal(emu.snapshot().faults[0]!.remaining, 6, '4 attempts used 4 of the 10')

  emu.injectFault({ method: 'GET', path: 'floatingips', status: 404, faultName: 'itemNotFound', message: 'nope' })
  const seq2 = emu.requests().length
  t.match(await err(a.network.listFloatingIps()), { status: 404, okeanosMessage: 'nope' })
  t.equal(emu.requests().length - seq2, 1, '4xx is not retried')
})

t.test('POST creates are never retried', async (t) => {
  emu.injectFault({ method: 'POST', path: '^/compute/v2.0/servers$', status: 503, message: 'No available backends' })
  const before = calls('POST', /\/servers$/).length
  const e = await err(a.compute.createServer({ name: 'np', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] }))
  t.match(e, { status: 503, faultName: 'serviceUnavailable', okeanosMessage: 'No available backends' })
  t.equal(calls('POST', /\/servers$/).length - before, 1)
  t.same(await a.compute.findServersByName('np'), [], 'the fault came before the handler: nothing created')
})

t.test('a lost response: the server exists although the POST failed', async (t) => {
  emu.injectFault({ method: 'POST', path: '/servers$', status: 503, after: true })
  const e = await err(a.compute.createServer({ name: 'lost', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] }))
  t.match(e, { status: 503 })
  const found = await a.compute.findServersByName('lost')
  t.equal(found.length, 1, 'look up by name before creating again')
  await a.compute.deleteServer(found[0]!.id)
})

t.test('retried DELETEs: an "already gone" answer after a lost response is success', async (t) => {
  const net = await a.network.createNetwork({ name: 'del', project: P })
  emu.injectFault({ method: 'DELETE', path: `/networks/${net.id}$`, status: 502, after: true })
  await a.network.deleteNetwork(net.id)
  t.same(calls('DELETE', new RegExp(`/networks/${net.id}$`)).map((r) => r.status), [502, 400])
  t.equal((await a.network.getNetwork(net.id)).status, 'DELETED')

  const srv = await a.compute.createServer({ name: 'del-srv', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] })
  await a.compute.waitServerUntil(srv.id, 'ACTIVE', fast)
  emu.injectFault({ method: 'DELETE', path: `/servers/${srv.id}$`, drop: true, after: true })
  await a.compute.deleteServer(srv.id)
  t.equal((await a.compute.waitServerUntil(srv.id, 'DELETED', fast)).deleted, true)
})

t.test('dropped connections and timeouts', async (t) => {
  emu.injectFault({ method: 'GET', path: '/servers/detail$', drop: true })
  t.ok(Array.isArray(await a.compute.listServers()), 'GET retried after a dropped connection')
  emu.injectFault({ method: 'GET', path: '/servers/detail$', drop: true, times: 0 })
  t.match(await err(a.compute.listServers()), { status: 0, faultName: 'connection', transient: true })
  emu.clearFaults()

  const impatient = await Okeanos.connect(emu.identityUrl, alice!.token, { timeoutMs: 50, retries: 0 })
  emu.injectFault({ method: 'GET', path: '/images/detail$', delayMs: 300 })
  const e = await err(impatient.compute.listImages())
  t.match(e, { status: 0, faultName: 'timeout' })
  t.match((e as Error).message, /did not answer within 50 ms/)

  emu.injectFault({ method: 'GET', path: '/images/detail$', delayMs: 30, delayOnly: true })
  t.ok((await a.compute.listImages()).length > 0, 'latency only')
})

t.test('chaos: a seeded random 503 on any call', async (t) => {
  emu.setChaos(1)
  t.match(await err(a.compute.listFlavors()), { status: 503 })
  emu.setChaos(0.3, { seed: 7 })
  const patient = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1, retries: 8 })
  for (let i = 0; i < 20; i++) await patient.compute.listImages()
  const injected = emu.requests().filter((r) => r.injected === 'chaos').length
  t.ok(injected > 3, `chaos struck ${injected} times and the GETs survived`)
  emu.setChaos(0)
})

t.test('the admin HTTP API', async (t) => {
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emu.url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }))

  const f = await admin('POST', '/faults', { method: 'GET', path: '/flavors/detail$', status: 409, faultName: 'conflict', message: 'busy' })
  t.equal(f.status, 200)
  t.match(await err(a.compute.listFlavors()), { status: 409, faultName: 'conflict', okeanosMessage: 'busy' })
  t.match(await admin('PUT', '/delays', { build: 20 }), { status: 200, body: { build: 20 } })
  t.match(await admin('POST', '/builds', { outcome: 'error', times: 1 }), { status: 200 })
  const s = await a.compute.createServer({ name: 'admin-built', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] })
  t.equal((await a.compute.waitServerWhile(s.id, 'BUILD', fast)).status, 'ERROR')
  t.match(await admin('POST', '/builds', { outcome: 'sideways' }), { status: 400 })
  t.match(await admin('PUT', `/projects/${P}/quotas`, { limits: { 'cyclades.vm': 0 } }), { status: 200 })
  t.match(await err(a.compute.createServer({ name: 'q', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] })), { status: 413 })
  t.match(await admin('PUT', '/chaos', { rate: 0 }), { status: 200, body: { chaos: null } })
  const state = await admin('GET', '/state')
  t.ok(Array.isArray(state.body.servers) && Array.isArray(state.body.requests) && state.body.quotas)
  t.notMatch(JSON.stringify(state.body), alice!.token, 'no tokens in the state dump')
  t.match(await admin('POST', '/reset'), { status: 200 })
  t.same((await admin('GET', '/state')).body.servers, [], 'reset empties everything')
  t.equal((await a.compute.listServers()).length, 0, 'users survive a reset')
  const nope = await fetch(`${emu.url}/_emulator/servers/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(nope.status, 400)
})
