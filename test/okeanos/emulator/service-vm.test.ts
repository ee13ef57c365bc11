import t from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Okeanos } from '../../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, IMAGES, SERVICE_VM_FILE, STAGE_FAILURE_MESSAGE } from '../../../src/okeanos/emulator/index.js'

// A tiny stand-in for the service's status endpoint.
interface Received {
  path: string
  authorization: string | undefined
  body: { status: string; failure_message: string }
}
const received: Received[] = []
/** Status codes to answer with before the default 200 (e.g. a 503 to trigger the retry). */
const answers: number[] = []
const readBody = async (req: IncomingMessage) => {
  let s = ''
  for await (const chunk of req) s += chunk
  return s
}
const statusServer = createServer(async (req, res) => {
  const body = JSON.parse(await readBody(req)) as Received['body']
  const code = answers.shift() ?? 200
  if (code === 200) received.push({ path: req.url ?? '', authorization: req.headers.authorization, body })
  res.writeHead(code, { 'content-type': 'application/json' }).end('{}')
})
await new Promise<void>((r) => statusServer.listen(0, '127.0.0.1', r))
t.teardown(() => new Promise<void>((r) => statusServer.close(() => r())))
const statusBase = `http://127.0.0.1:${(statusServer.address() as AddressInfo).port}`

const emu = await startEmulator({ delays: { ...fastDelays, serviceVmStage: 2 } })
t.teardown(() => emu.close())
const [alice] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const flavor = (await a.compute.findFlavor(2, 2048, 20))!
const fast = { intervalMs: 5, timeoutMs: 3000 }

function serviceVmFile(instanceId: string, token: string) {
  const cfg = { instance_id: instanceId, status_url: `${statusBase}/api/lambda_instances/${instanceId}/status/`, token }
  return { path: SERVICE_VM_FILE, contents: Buffer.from(JSON.stringify(cfg)).toString('base64'), owner: 'root', group: 'root', mode: 0o600 }
}

async function buildMaster(instanceId: string, token: string) {
  const s = await a.compute.createServer({
    name: `lambda-master-${instanceId.slice(0, 4)}`,
    flavorRef: flavor.id,
    imageRef: IMAGES.lodMaster,
    project: DEMO_PROJECT_ID,
    networks: [],
    personality: [serviceVmFile(instanceId, token)],
  })
  await a.compute.waitServerUntil(s.id, 'ACTIVE', fast)
  await emu.serviceVmIdle()
  return s
}

t.beforeEach(() => {
  received.length = 0
})

t.test('a master reports the seven install stages with its instance token', async (t) => {
  const id = '11111111-2222-4333-8444-555555555555'
  const master = await buildMaster(id, 'instance-token-aaaa')
  t.same(received.map((r) => r.body.status), ['12', '14', '16', '18', '20', '22', '0'])
  t.ok(received.every((r) => r.authorization === 'Token instance-token-aaaa'))
  t.ok(received.every((r) => r.path === `/api/lambda_instances/${id}/status/`))
  t.ok(received.every((r) => r.body.failure_message === ''))
  t.same(emu.serviceVmReports().map((r) => [r.status, r.httpStatus, r.serverId]), received.map((r) => [r.body.status, 200, master.id]))

  // Only the first build reports: a stop/start cycle does not.
  await a.compute.shutdownServer(master.id)
  await a.compute.waitServerUntil(master.id, 'STOPPED', fast)
  await a.compute.startServer(master.id)
  await a.compute.waitServerUntil(master.id, 'ACTIVE', fast)
  await new Promise((r) => setTimeout(r, 30))
  await emu.serviceVmIdle()
  t.equal(received.length, 7)

  // A server without the file (a slave) reports nothing.
  const slave = await a.compute.createServer({ name: 'lambda-node1', flavorRef: flavor.id, imageRef: IMAGES.lodSlave, project: DEMO_PROJECT_ID, networks: [] })
  await a.compute.waitServerUntil(slave.id, 'ACTIVE', fast)
  await emu.serviceVmIdle()
  t.equal(received.length, 7)
})

t.test('a failed stage posts its *_FAILED code and stops', async (t) => {
  emu.failStage({ stage: 'kafka' })
  await buildMaster('22222222-2222-4333-8444-555555555555', 'instance-token-bbbb')
  t.same(received.map((r) => r.body.status), ['12', '14', '16', '19'])
  t.same(received.at(-1)!.body, { status: '19', failure_message: STAGE_FAILURE_MESSAGE })

  // By success code, only for one instance id.
  emu.failStage({ stage: '12', instanceId: '44444444-2222-4333-8444-555555555555' })
  received.length = 0
  await buildMaster('33333333-2222-4333-8444-555555555555', 'instance-token-cccc')
  t.equal(received.length, 7, 'another instance is not affected')
  received.length = 0
  await buildMaster('44444444-2222-4333-8444-555555555555', 'instance-token-dddd')
  t.same(received.map((r) => r.body.status), ['13'])
})

t.test('5xx and connection errors are retried, 4xx stops the run', async (t) => {
  answers.push(503, 502)
  await buildMaster('55555555-2222-4333-8444-555555555555', 'instance-token-eeee')
  t.same(received.map((r) => r.body.status), ['12', '14', '16', '18', '20', '22', '0'])
  const first = emu.serviceVmReports().find((r) => r.instanceId.startsWith('5555'))!
  t.equal(first.attempts, 3)

  received.length = 0
  answers.push(200, 403)
  await buildMaster('66666666-2222-4333-8444-555555555555', 'instance-token-ffff')
  t.same(received.map((r) => r.body.status), ['12'], 'a 4xx (e.g. a wrong token) ends the run')
  const last = emu.serviceVmReports().filter((r) => r.instanceId.startsWith('6666')).at(-1)!
  t.match(last, { status: '14', httpStatus: 403, attempts: 1 })
})
