import t from 'tap'
import { Okeanos, OkeanosError, WaitTimeoutError, userdataKeysUrl } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, IMAGES, keyFingerprint } from '../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice, bob] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const b = await Okeanos.connect(emu.identityUrl, bob!.token, { backoffMs: 1 })
const fast = { intervalMs: 5, timeoutMs: 3000 }
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)

t.test('flavors and images', async (t) => {
  const flavors = await a.compute.listFlavors()
  t.ok(flavors.length > 100)
  t.same([...new Set(flavors.map((f) => f.vcpus))], [1, 2, 4, 8])
  const f = flavors.find((x) => x.vcpus === 4 && x.ram === 4096 && x.disk === 40)!
  t.equal(f.name, 'C4R4096D40drbd')
  t.equal(f['SNF:disk_template'], 'drbd')
  t.equal(f['SNF:allow_create'], true)
  t.ok(flavors.some((x) => !x['SNF:allow_create']), 'some flavors cannot be used for new servers')
  t.same(flavors.map((x) => x.id), [...flavors.map((x) => x.id)].sort((p, q) => p - q), 'ordered by id')
  t.equal((await a.compute.getFlavor(f.id)).name, f.name)
  t.match(await err(a.compute.getFlavor(99999)), { status: 404, okeanosMessage: 'Flavor not found.' })
  const bad = await fetch(`${a.endpoints.compute}/flavors/abc`, { headers: { 'x-auth-token': alice!.token } })
  t.same(await bad.json(), { badRequest: { code: 400, message: "Invalid flavor ID 'abc'", details: '' } })
  t.equal(await a.compute.findFlavor(1, 512, 5), undefined, 'legacy flavor is not creatable')

  const img = await a.compute.getImage(IMAGES.debian)
  t.match(img.metadata, { os: 'debian', users: 'root' })
  t.ok((await a.compute.listImages()).length >= 3)
  t.match(await err(a.compute.getImage('00000000-0000-0000-0000-000000000000')), {
    status: 404,
    okeanosMessage: "Image '00000000-0000-0000-0000-000000000000' not found",
  })
})

t.test('server lifecycle BUILD → ACTIVE → STOPPED → ACTIVE → DELETED', async (t) => {
  // Slow enough to observe the in-between states reliably, still well under a second.
  emu.setDelays({ build: 250, start: 80, stop: 80, reboot: 80, destroy: 80 })
  t.teardown(() => emu.setDelays(fastDelays))
  const flavor = (await a.compute.findFlavor(2, 2048, 20))!
  const created = await a.compute.createServer({
    name: 'lambda-master',
    flavorRef: flavor.id,
    imageRef: IMAGES.debian,
    project: DEMO_PROJECT_ID,
    networks: [],
    metadata: { os: 'debian', users: 'root' },
  })
  t.equal(typeof created.id, 'number')
  t.equal(created.status, 'BUILD')
  t.equal(created['SNF:task_state'], 'BUILDING')
  t.equal(created.progress, 0)
  t.match(created.adminPass, /^[A-Za-z0-9]{10}$/)
  t.same(created.attachments, [])
  t.equal(created.tenant_id, DEMO_PROJECT_ID)
  t.equal(created['SNF:fqdn'], `snf-${created.id}.vm.okeanos.grnet.gr`)
  t.notOk('adminPass' in (await a.compute.getServer(created.id)), 'only the create answer has adminPass')

  const early = await err(a.compute.shutdownServer(created.id))
  t.match(early, { status: 409, faultName: 'buildInProgress', okeanosMessage: `Server '${created.id}' is being built.` })

  const active = await a.compute.waitServerWhile(created.id, 'BUILD', fast)
  t.equal(active.status, 'ACTIVE')
  t.equal(active.progress, 100)
  t.equal(active['SNF:task_state'], '')

  t.match(await err(a.compute.startServer(created.id)), {
    status: 400,
    okeanosMessage: "Cannot perform 'START' action while server is in 'STARTED' state.",
  })
  await a.compute.shutdownServer(created.id)
  const stopping = await a.compute.getServer(created.id)
  t.equal(stopping.status, 'ACTIVE', 'old status kept while the job runs')
  t.equal(stopping['SNF:task_state'], 'STOPPING')
  t.match(await err(a.compute.startServer(created.id)), {
    status: 400,
    okeanosMessage: "Cannot perform 'START' action while there is a pending 'STOP'.",
  })
  const stopped = await a.compute.waitServerUntil(created.id, 'STOPPED', fast)
  t.equal(stopped.status, 'STOPPED')
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'cyclades.vm': 1, 'cyclades.cpu': 0, 'cyclades.ram': 0, 'cyclades.disk': 20 * 2 ** 30 }, 'STOP releases cpu/ram only')
  t.match(await err(a.compute.shutdownServer(created.id)), {
    okeanosMessage: "Cannot perform 'STOP' action while server is in 'STOPPED' state.",
  })

  // START re-charges cpu/ram, so it can fail with 413.
  emu.setUsage(DEMO_PROJECT_ID, alice!.id, { 'cyclades.cpu': 63 })
  t.match(await err(a.compute.startServer(created.id)), { status: 413, details: "Limit for resource 'CPU' exceeded for your account. Available: 1, Requested: 2" })
  emu.setUsage(DEMO_PROJECT_ID, alice!.id, { 'cyclades.cpu': 0 })
  // os-start works too (plain OpenStack clients).
  const osStart = await fetch(`${a.endpoints.compute}/servers/${created.id}/action`, {
    method: 'POST',
    headers: { 'x-auth-token': alice!.token, 'content-type': 'application/json' },
    body: JSON.stringify({ 'os-start': null }),
  })
  t.equal(osStart.status, 202)
  t.equal(await osStart.text(), '', '202 with an empty body')
  t.equal((await a.compute.waitServerUntil(created.id, 'ACTIVE', fast)).status, 'ACTIVE')

  await a.compute.rebootServer(created.id, 'HARD')
  t.equal((await a.compute.getServer(created.id)).status, 'REBOOT')
  await a.compute.waitServerUntil(created.id, 'ACTIVE', fast)

  await a.compute.deleteServer(created.id)
  t.equal((await a.compute.getServer(created.id))['SNF:task_state'], 'DESTROYING')
  const deleted = await a.compute.waitServerUntil(created.id, 'DELETED', fast)
  t.equal(deleted.deleted, true, 'a deleted server stays readable')
  t.notOk((await a.compute.listServers()).some((s) => s.id === created.id), 'and is left out of lists')
  t.match(await err(a.compute.deleteServer(created.id)), { status: 400, okeanosMessage: 'Server has been deleted.' })
  t.match(await err(a.compute.startServer(created.id)), { status: 400, okeanosMessage: 'Server has been deleted.' })
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'cyclades.vm': 0, 'cyclades.cpu': 0, 'cyclades.disk': 0 })
})

t.test('lookups: ids, ownership, lists', async (t) => {
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const s = await a.compute.createServer({ name: 'mine', flavorRef: flavor.id, imageRef: IMAGES.debian, networks: [] })
  t.equal(s.tenant_id, alice!.id, 'project defaults to the user uuid (system project)')
  t.same((await a.compute.findServersByName('mine')).map((x) => x.id), [s.id])
  t.match(await err(b.compute.getServer(s.id)), { status: 404, okeanosMessage: 'Server not found.' }, "another user's server")
  const bad = await fetch(`${a.endpoints.compute}/servers/abc`, { headers: { 'x-auth-token': alice!.token } })
  t.equal(bad.status, 400)
  t.equal(((await bad.json()) as { badRequest: { message: string } }).badRequest.message, 'Invalid server ID.')
  const short = await fetch(`${a.endpoints.compute}/servers`, { headers: { 'x-auth-token': alice!.token } })
  t.same(Object.keys(((await short.json()) as { servers: object[] }).servers[0]!).sort(), ['id', 'links', 'name'])
  await a.compute.deleteServer(s.id)
})

t.test('create validation texts', async (t) => {
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const base = { name: 'v', flavorRef: flavor.id, imageRef: IMAGES.debian, networks: [] }
  const legacy = (await a.compute.listFlavors()).find((f) => !f['SNF:allow_create'])!
  t.match(await err(a.compute.createServer({ ...base, flavorRef: legacy.id })), {
    status: 403,
    okeanosMessage: `It is not allowed to create a server from flavor with id '${legacy.id}', see 'allow_create' flavor attribute`,
  })
  t.match(await err(a.compute.createServer({ ...base, name: 'x'.repeat(256) })), { status: 400, okeanosMessage: 'Server name is too long' })
  const six = Array.from({ length: 6 }, (_, i) => ({ path: `/f${i}`, contents: 'YQ==' }))
  t.match(await err(a.compute.createServer({ ...base, personality: six })), { status: 413, okeanosMessage: 'Maximum number of personalities exceeded' })
  const huge = Buffer.alloc(10241).toString('base64')
  t.match(await err(a.compute.createServer({ ...base, personality: [{ path: '/big', contents: huge }] })), {
    status: 413,
    okeanosMessage: 'Maximum size of personality exceeded',
  })
  t.match(await err(a.compute.createServer({ ...base, personality: [{ path: '/x', contents: 'YQ==', colour: 'red' } as never] })), {
    status: 400,
    okeanosMessage: 'Malformed personality in request',
  })
  t.match(await err(a.compute.createServer({ ...base, key_name: 'alice-laptop', 'SNF:key_names': ['alice-laptop'] })), {
    okeanosMessage: 'Only one of the SNF:key_names andkey_name can be set',
  })
  t.match(await err(a.compute.createServer({ ...base, networks: [{} as never] })), {
    status: 400,
    okeanosMessage: "Network 'uuid' or 'port' attribute is required.",
  })
  t.match(await err(a.compute.createServer({ ...base, flavorRef: 424242 })), { status: 404, okeanosMessage: 'Flavor not found.' })
  t.equal(emu.snapshot().servers.filter((s) => s.name === 'v').length, 0, 'nothing was created')
  t.match(emu.usage(alice!.id, alice!.id), { 'cyclades.vm': 0 }, 'nothing was charged')
})

t.test('forced ERROR builds and stuck builds vs the wait deadline', async (t) => {
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  emu.forceBuild({ outcome: 'error', namePattern: '^broken-' })
  emu.forceBuild({ outcome: 'stuck', times: 1 })
  const other = await a.compute.createServer({ name: 'hang', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [] })
  const broken = await a.compute.createServer({ name: 'broken-1', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [] })

  const failed = await a.compute.waitServerWhile(broken.id, 'BUILD', fast)
  t.equal(failed.status, 'ERROR')
  t.match(await err(a.compute.startServer(broken.id)), { status: 400, okeanosMessage: "Cannot perform 'START' action while server is in 'ERROR' state." })
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'cyclades.vm': 2 }, 'an ERROR server keeps its quota until deleted')

  const waited = await err(a.compute.waitServerWhile(other.id, 'BUILD', { intervalMs: 10, timeoutMs: 150 }))
  t.ok(waited instanceof WaitTimeoutError)
  t.match(waited, { resource: 'Server', id: other.id, lastStatus: 'BUILD' })
  t.ok((await a.compute.getServer(other.id)).progress <= 50, 'a stuck build stalls')

  // Deleting works in any state.
  await a.compute.deleteServer(other.id)
  await a.compute.deleteServer(broken.id)
  await a.compute.waitServerUntil(other.id, 'DELETED', fast)
  await a.compute.waitServerUntil(broken.id, 'DELETED', fast)
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'cyclades.vm': 0, 'cyclades.cpu': 0 })
})

t.test('action body validation and suspended servers', async (t) => {
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const s = await a.compute.createServer({ name: 'act', flavorRef: flavor.id, imageRef: IMAGES.debian, networks: [] })
  await a.compute.waitServerUntil(s.id, 'ACTIVE', fast)
  const post = (body: unknown) =>
    fetch(`${a.endpoints.compute}/servers/${s.id}/action`, {
      method: 'POST',
      headers: { 'x-auth-token': alice!.token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, { message: string }> }))
  t.match(await post({ reboot: { type: 'GENTLE' } }), { status: 400, body: { badRequest: { message: "Invalid 'type' attribute." } } })
  t.match(await post({ dance: {} }), { status: 400, body: { badRequest: { message: 'Action dance not supported' } } })
  emu.suspendServer(s.id, true)
  t.match(await post({ shutdown: {} }), { status: 403, body: { forbidden: { message: 'Administratively Suspended VM' } } })
  emu.suspendServer(s.id, false)
  await a.compute.deleteServer(s.id)
})

t.test('user SSH keys from /userdata/keys', async (t) => {
  const keys = await a.compute.listUserKeys()
  t.same(keys.map((k) => k.name), ['alice-laptop', 'alice-desktop'])
  t.match(keys[0], { uri: `/userdata/keys/${keys[0]!.id}`, content: /^ssh-rsa AAAA/ })
  t.equal(keys[0]!.fingerprint, keyFingerprint(keys[0]!.content))
  t.match(keys[0]!.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)
  t.same((await b.compute.listUserKeys()).map((k) => k.name), ['bob-key'])
  t.equal(userdataKeysUrl('https://cyclades.okeanos.grnet.gr/compute/v2.0'), 'https://cyclades.okeanos.grnet.gr/userdata/keys')
  t.ok(err instanceof Function && OkeanosError)
})
