import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Okeanos } from '../../src/okeanos/index.js'
import { demoUsers, fastDelays, startEmulator } from '../../src/okeanos/emulator/index.js'
import { createBody } from '../support/fixtures.js'
import { freePort, startLod } from '../support/lod-process.js'
import { waitUntil } from '../support/wait.js'

// The service is killed (SIGKILL) while it provisions a cluster and started again on the same data: the
// instance still reaches STARTED, with exactly one master and the requested slaves.

t.test('SIGKILL during provisioning, then a restart', async (t) => {
  // Builds slow enough to kill the service between the master's creation and the cluster's, and for the
  // service to be back before the master's service VM starts reporting.
  const emulator = await startEmulator({ users: demoUsers(), delays: { ...fastDelays, build: 8_000 } })
  t.teardown(() => emulator.close())
  const alice = emulator.users[0]!
  const port = await freePort()
  const dataDir = t.testdir()
  const env = {
    ...process.env,
    PORT: String(port),
    LOD_DATA_DIR: dataDir,
    LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_LOG_LEVEL: 'silent',
    LOD_REACTOR_POLL_MS: '50',
  }
  let child: ChildProcess | undefined
  t.teardown(() => child?.kill('SIGKILL'))
  const start = async () => {
    child = await startLod('serve', env, 'is listening on')
  }
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Token ${alice.token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return response.json()
  }
  const ok = await Okeanos.connect(emulator.identityUrl, alice.token)
  const serversOf = async (id: string) => (await ok.compute.listServers()).filter((s) => s.metadata?.lod_instance === id)

  await start()
  const created = await api('POST', '/api/lambda-instance/', { ...createBody, slaves: 2, public_key_name: [] })
  const id: string = created.data[0].id
  await waitUntil('a server of the instance', async () => (await serversOf(id)).length > 0)
  child!.kill('SIGKILL')
  await new Promise((r) => child!.once('exit', r))
  t.pass(`killed with ${(await serversOf(id)).length} server(s) created`)

  await start()
  const status = await waitUntil(
    'the instance to be STARTED or failed',
    async () => {
      const now: { message: string } = (await api('GET', `/api/lambda-instances/${id}/?filter=status`)).data[0].status
      return now.message === 'STARTED' || now.message.endsWith('FAILED') ? now : undefined
    },
    60_000,
  )
  t.equal(status?.message, 'STARTED')
  const servers = await serversOf(id)
  t.same(servers.map((s) => s.metadata.lod_role).sort(), ['master', 'slave-1', 'slave-2'], 'one master, two slaves')
  t.equal((await ok.network.listNetworks()).filter((n) => n.name === `lambda-vpn-${id}`).length, 1, 'one network')
  t.equal((await ok.network.listFloatingIps()).length, 1, 'one public IP')
})
