import t from 'tap'
import { Readable } from 'node:stream'
import { Okeanos, PithosNameError } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, DEMO_PROJECT_NAME } from '../../src/okeanos/emulator/index.js'

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice, bob] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)
const container = `lambda_applications_${DEMO_PROJECT_NAME}`

t.test('containers and objects, charged to the project', async (t) => {
  t.same(await a.pithos.listContainers(), [])
  t.equal(await a.pithos.createContainer(container, DEMO_PROJECT_ID), 'created')
  t.equal(await a.pithos.createContainer(container, DEMO_PROJECT_ID), 'exists', 'PUT is idempotent')
  t.match(await a.pithos.getContainer(container), { objectCount: 0, bytesUsed: 0, project: DEMO_PROJECT_ID })
  t.equal(await a.pithos.getContainer('nope'), undefined)
  t.same(await a.pithos.listObjects(container), [])

  const jar = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00, 0x80, 0x7f]) // binary survives untouched
  const etag = await a.pithos.putObject(container, 'wordcount.jar', jar, 'application/java-archive')
  t.match(etag, /^[0-9a-f]{32}$/)
  const got = await a.pithos.getObject(container, 'wordcount.jar')
  t.same([...got.data], [...jar])
  t.equal(got.contentType, 'application/java-archive')
  t.equal(got.etag, etag)
  t.match(await a.pithos.listObjects(container), [{ name: 'wordcount.jar', bytes: 8, content_type: 'application/java-archive' }])
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': 8 })
  t.match((await a.account.getQuotas())[DEMO_PROJECT_ID]!['pithos.diskspace'], { usage: 8 })

  t.match(await err(a.pithos.deleteContainer(container)), { status: 409, okeanosMessage: 'Container is not empty' })
  await a.pithos.deleteObject(container, 'wordcount.jar')
  t.match(await err(a.pithos.getObject(container, 'wordcount.jar')), { status: 404, okeanosMessage: 'Object does not exist' })
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': 0 })
  await a.pithos.deleteContainer(container)
  t.same(await a.pithos.listContainers(), [])
})

t.test('quota, missing container, other accounts', async (t) => {
  await a.pithos.createContainer('small', DEMO_PROJECT_ID)
  emu.setProjectQuota(DEMO_PROJECT_ID, { limits: { 'pithos.diskspace': 10 } })
  t.match(await err(a.pithos.putObject('small', 'big.jar', Buffer.alloc(11))), {
    status: 413,
    details: "Limit for resource 'Storage space' exceeded for your account. Available: 10, Requested: 11",
  })
  t.match(await err(a.pithos.putObject('missing', 'x.jar', Buffer.alloc(1))), { status: 404, okeanosMessage: 'Container does not exist' })
  const foreign = await fetch(`${a.endpoints.objectStore}/${bob!.id}?format=json`, { headers: { 'x-auth-token': alice!.token } })
  t.equal(foreign.status, 403)
  t.match(await err(a.pithos.createContainer('elsewhere', '4c1d0b53-9ae4-4f6e-8d2b-7a5e3c9f1b20')), { status: 403 })
})

t.test('a name that is not one path segment is refused before any request; any other is encoded as one', async (t) => {
  await a.pithos.createContainer(container, DEMO_PROJECT_ID)
  t.teardown(async () => {
    for (const object of await a.pithos.listObjects(container)) await a.pithos.deleteObject(container, object.name)
    await a.pithos.deleteContainer(container)
  })
  const bad = [`../../${bob!.id}/${container}/x.jar`, '..', '.', '', 'a/b.jar', 'a\\b.jar', 'x\u0000.jar', 'x\n.jar', 'x\u007f.jar']
  const before = emu.requests().length
  for (const name of bad) {
    const calls = [
      a.pithos.putObject(container, name, Buffer.from('x')),
      a.pithos.putObjectStream(container, name, Readable.from([Buffer.from('x')])),
      a.pithos.getObject(container, name),
      a.pithos.getObjectStream(container, name),
      a.pithos.headObject(container, name),
      a.pithos.deleteObject(container, name),
      a.pithos.createContainer(name),
      a.pithos.listObjects(name),
      a.pithos.getObject(name, 'x.jar'),
    ]
    for (const error of await Promise.all(calls.map(err))) t.type(error, PithosNameError, JSON.stringify(name))
  }
  t.equal(emu.requests().length, before, 'no request reached ~okeanos')

  const odd = 'a b?#%2e%2e&é.jar'
  await a.pithos.putObject(container, odd, Buffer.from('odd'))
  t.same((await a.pithos.listObjects(container)).map((o) => o.name), [odd], 'stored under exactly that name')
  t.equal((await a.pithos.getObject(container, odd)).data.toString(), 'odd')
})
