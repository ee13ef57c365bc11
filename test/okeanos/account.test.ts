import t from 'tap'
import { Okeanos, OkeanosError, available, projectAvailability } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, DEMO_PROJECT_NAME, TINY_PROJECT_ID, IMAGES, GiB } from '../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice, bob] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const b = await Okeanos.connect(emu.identityUrl, bob!.token, { backoffMs: 1 })

t.test('projects: list, filters, system project, get', async (t) => {
  const all = await a.account.listProjects()
  t.same(all.map((p) => p.name).sort(), [DEMO_PROJECT_NAME, `system:${alice!.id}`].sort())
  const system = all.find((p) => p.system_project)!
  t.equal(system.id, alice!.id)
  const byName = await a.account.listProjects({ name: DEMO_PROJECT_NAME })
  t.equal(byName.length, 1)
  t.equal(byName[0]!.id, DEMO_PROJECT_ID)
  t.equal(byName[0]!.resources['cyclades.vm']!.member_capacity, 20)
  t.same(await a.account.listProjects({ name: 'no.such.project' }), [])
  t.equal((await a.account.findProjectByName(DEMO_PROJECT_NAME))!.id, DEMO_PROJECT_ID)
  t.equal((await a.account.getProject(DEMO_PROJECT_ID)).name, DEMO_PROJECT_NAME)
  t.match(await a.account.getProject(TINY_PROJECT_ID).catch((e: unknown) => e), { status: 404 }, 'not a member')

  emu.setProjectState(TINY_PROJECT_ID, 'suspended')
  t.same((await b.account.activeProjects()).map((p) => p.id).sort(), [bob!.id, DEMO_PROJECT_ID].sort())
  t.equal((await b.account.listProjects({ state: 'suspended' }))[0]!.id, TINY_PROJECT_ID)
  emu.setProjectState(TINY_PROJECT_ID, 'active')

  const bad = await fetch(`${a.endpoints.account}/projects?colour=red`, { headers: { 'x-auth-token': alice!.token } })
  t.equal(bad.status, 400)
  t.same(await bad.json(), { badRequest: { code: 400, message: 'Unrecognized filter colour', details: '' } })
  const badState = await a.account.listProjects({ state: 'sleepy' as never }).catch((e: unknown) => e)
  t.match(badState, { status: 400, okeanosMessage: 'Unrecognized state sleepy' })
})

t.test('quotas: per project, bytes, member and project holdings', async (t) => {
  const q = await a.account.getQuotas()
  t.same(Object.keys(q).sort(), [alice!.id, DEMO_PROJECT_ID].sort())
  const vm = q[DEMO_PROJECT_ID]!['cyclades.vm']!
  t.same(vm, { usage: 0, limit: 20, pending: 0, project_usage: 0, project_limit: 40, project_pending: 0 })
  t.equal(q[DEMO_PROJECT_ID]!['cyclades.ram']!.limit, 128 * GiB, 'ram in bytes')
  t.notOk('cyclades.total_cpu' in q[DEMO_PROJECT_ID]!, 'hidden resources are not listed')

  // Alice's server counts in her holding and in the shared project usage bob sees.
  const flavor = (await a.compute.findFlavor(2, 2048, 20))!
  const s = await a.compute.createServer({ name: 'q1', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [] })
  const qa = (await a.account.getQuotas())[DEMO_PROJECT_ID]!
  t.match(qa['cyclades.vm'], { usage: 1, project_usage: 1 })
  t.match(qa['cyclades.cpu'], { usage: 2, project_usage: 2 })
  t.match(qa['cyclades.ram'], { usage: 2048 * 2 ** 20 })
  t.match(qa['cyclades.disk'], { usage: 20 * GiB })
  const qb = (await b.account.getQuotas())[DEMO_PROJECT_ID]!
  t.match(qb['cyclades.vm'], { usage: 0, project_usage: 1 })

  // Other (unmodelled) members use the project too: min(member, project) decides.
  emu.setProjectQuota(DEMO_PROJECT_ID, { otherUsage: { 'cyclades.cpu': 60 } })
  const avail = projectAvailability(await a.account.getQuotas(), DEMO_PROJECT_ID)!
  t.equal(avail.cpus, Math.min(64 - 2, 128 - 62))
  t.equal(avail.vms, 19)
  t.equal(avail.ramMiB, 128 * 1024 - 2048)
  t.equal(available({ usage: 5, limit: 4, pending: 0, project_usage: 0, project_limit: 9, project_pending: 0 }), 0)
  emu.setProjectQuota(DEMO_PROJECT_ID, { otherUsage: { 'cyclades.cpu': 0 } })

  await a.compute.deleteServer(s.id)
  await a.compute.waitServerUntil(s.id, 'DELETED', { intervalMs: 5, timeoutMs: 2000 })
  const after = (await a.account.getQuotas())[DEMO_PROJECT_ID]!
  t.match(after['cyclades.vm'], { usage: 0, project_usage: 0 })
  t.match(after['cyclades.ram'], { usage: 0 })
})

t.test('413 overLimit with astakosclient texts', async (t) => {
  const flavor = (await b.compute.findFlavor(2, 2048, 20))!
  const first = await b.compute.createServer({ name: 'tiny-1', flavorRef: flavor.id, imageRef: IMAGES.debian, project: TINY_PROJECT_ID, networks: [] })
  const err = await b.compute
    .createServer({ name: 'tiny-2', flavorRef: flavor.id, imageRef: IMAGES.debian, project: TINY_PROJECT_ID, networks: [] })
    .catch((e: unknown) => e)
  t.ok(err instanceof OkeanosError)
  t.match(err, {
    status: 413,
    faultName: 'overLimit',
    okeanosMessage: 'Resource Limit Exceeded for your account.',
    details: "Limit for resource 'Virtual Machine' exceeded for your account. Available: 0, Requested: 1",
  })

  // RAM is checked in bytes.
  emu.setProjectQuota(TINY_PROJECT_ID, { limits: { 'cyclades.vm': 5, 'cyclades.cpu': 10 } })
  const big = (await b.compute.findFlavor(4, 4096, 20))!
  const ram = await b.compute
    .createServer({ name: 'tiny-3', flavorRef: big.id, imageRef: IMAGES.debian, project: TINY_PROJECT_ID, networks: [] })
    .catch((e: unknown) => e)
  t.match(ram, { status: 413, details: `Limit for resource 'RAM' exceeded for your account. Available: 0, Requested: ${4096 * 2 ** 20}` })

  // The project holding is checked too.
  emu.setProjectQuota(TINY_PROJECT_ID, { limits: { 'cyclades.ram': 8 * GiB }, projectLimits: { 'cyclades.ram': 3 * GiB, 'cyclades.vm': 5, 'cyclades.cpu': 10, 'cyclades.disk': 100 * GiB } })
  const proj = await b.compute
    .createServer({ name: 'tiny-4', flavorRef: flavor.id, imageRef: IMAGES.debian, project: TINY_PROJECT_ID, networks: [] })
    .catch((e: unknown) => e)
  t.match(proj, { status: 413, details: `Limit for resource 'RAM' exceeded for your account. Available: ${1 * GiB}, Requested: ${2 * GiB}` })

  // Networks and floating IPs.
  await b.network.createNetwork({ name: 'n1', project: TINY_PROJECT_ID })
  t.match(await b.network.createNetwork({ name: 'n2', project: TINY_PROJECT_ID }).catch((e: unknown) => e), {
    status: 413,
    details: "Limit for resource 'Private Network' exceeded for your account. Available: 0, Requested: 1",
  })
  await b.network.createFloatingIp({ project: TINY_PROJECT_ID })
  t.match(await b.network.createFloatingIp({ project: TINY_PROJECT_ID }).catch((e: unknown) => e), {
    status: 413,
    details: "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1",
  })

  // A suspended project grants nothing; a foreign project is a 400.
  emu.setProjectState(TINY_PROJECT_ID, 'suspended')
  t.match(await b.network.createNetwork({ name: 'n3', project: TINY_PROJECT_ID }).catch((e: unknown) => e), { status: 413 })
  emu.setProjectState(TINY_PROJECT_ID, 'active')
  t.match(await a.network.createNetwork({ name: 'n4', project: TINY_PROJECT_ID }).catch((e: unknown) => e), {
    status: 400,
    okeanosMessage: `User ${alice!.id} not in project ${TINY_PROJECT_ID}`,
  })

  // Admin usage override: exhaust alice's CPUs without creating servers.
  emu.setUsage(DEMO_PROJECT_ID, alice!.id, { 'cyclades.cpu': 64 })
  const cpu = await a.compute
    .createServer({ name: 'cpu', flavorRef: flavor.id, imageRef: IMAGES.debian, project: DEMO_PROJECT_ID, networks: [] })
    .catch((e: unknown) => e)
  t.match(cpu, { status: 413, details: "Limit for resource 'CPU' exceeded for your account. Available: 0, Requested: 2" })
  emu.setUsage(DEMO_PROJECT_ID, alice!.id, { 'cyclades.cpu': 0 })
  await b.compute.deleteServer(first.id)
})

t.test('resources are public', async (t) => {
  const res = await fetch(`${emu.url}/account/v1.0/resources`)
  t.equal(res.status, 200)
  const body = (await res.json()) as Record<string, { unit: string | null }>
  t.equal(body['cyclades.ram']!.unit, 'bytes')
})
