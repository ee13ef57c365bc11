import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { Okeanos } from '../../src/okeanos/index.js'
import { DEMO_PROJECT_ID, demoUsers, fastDelays, startEmulator, type Emulator, type EmulatorDelays } from '../../src/okeanos/emulator/index.js'
import { createService, type Service, type ServiceOptions } from '../../src/app/service.js'
import { createBody } from './fixtures.js'
import { instanceStream, type InstanceEvent } from '../../src/instances/events.js'
import { statusAfter } from '../../src/instances/status-after.js'
import { waitUntil } from './wait.js'

// End to end: the service listening on a real port with its reactors running, and the ~okeanos emulator as
// a separate HTTP server; the test talks to both over HTTP only.

export interface Cluster {
  emulator: Emulator
  service: Service
  url: string
  token: string
  /** What alice sees on ~okeanos, through the real client. */
  okeanos(): Promise<Okeanos>
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any }>
  /** A request with a raw body (multipart forms). */
  send(method: string, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; json: any }>
  create(overrides?: Record<string, unknown>): Promise<string>
  /** Polls the instance until its status is one of `names`; fails the wait after `timeoutMs`. */
  waitFor(id: string, names: string[], timeoutMs?: number): Promise<{ message: string; failure_message?: string }>
  /** Every status the instance went through, from its stream. */
  statuses(id: string): Promise<string[]>
  /** alice's quota usage in the demo project. */
  usage(): Record<string, number>
}

export const fastReactors = { pollIntervalMs: 10, backoffMs: 10, attempts: 8, buildTimeoutMs: 10_000 }

/** The service acting on `emulator`, listening on a free local port, with its reactors running unless `reactors` is
 *  false. */
export async function listeningService(
  emulator: Emulator,
  options: Partial<ServiceOptions> & Pick<ServiceOptions, 'dataDir' | 'secretKey'>,
  reactors = true,
): Promise<{ service: Service; url: string }> {
  const service = await createService({
    identityUrl: emulator.identityUrl,
    reactors: { ...fastReactors, ssh: { host: '127.0.0.1', port: emulator.sshPort } },
    ...options,
  })
  await service.app.listen({ port: 0, host: '127.0.0.1' })
  const address = service.app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  if (reactors) await service.startReactors(url)
  return { service, url }
}

/** A service on data kept in a test dir across its restarts, acting on an emulator of its own: each `start` opens the
 *  service on that data (close the one before first); the last one started is closed when the test ends. */
export async function restartableService(t: Test) {
  const emulator = await startEmulator({ users: demoUsers(), delays: fastDelays })
  t.teardown(() => emulator.close())
  const dataDir = t.testdir()
  const secretKey = randomBytes(32)
  let last: Service | undefined
  t.teardown(() => last?.close())
  return {
    emulator,
    alice: emulator.users[0]!,
    dataDir,
    async start(reactors = true) {
      const started = await listeningService(emulator, { dataDir, secretKey }, reactors)
      last = started.service
      return started
    },
  }
}

export async function startCluster(
  t: Test,
  options: { delays?: Partial<EmulatorDelays>; service?: Partial<ServiceOptions> } = {},
): Promise<Cluster> {
  const emulator = await startEmulator({ users: demoUsers(), delays: { ...fastDelays, ...options.delays } })
  const { service, url } = await listeningService(emulator, { dataDir: undefined, secretKey: randomBytes(32), ...options.service })
  t.teardown(async () => {
    await service.close()
    await emulator.close()
  })
  const alice = emulator.users[0]!
  const api: Cluster['api'] = async (method, path, body, token = alice.token) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Token ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: response.status, json: await response.json() }
  }
  return {
    emulator,
    service,
    url,
    token: alice.token,
    async send(method, path, body, headers) {
      const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Token ${alice.token}`, ...headers }, body: new Uint8Array(body) })
      return { status: response.status, json: await response.json() }
    },
    okeanos: () => Okeanos.connect(emulator.identityUrl, alice.token),
    api,
    async create(overrides = {}) {
      const res = await api('POST', '/api/lambda-instance/', { ...createBody, public_key_name: ['alice-laptop'], ...overrides })
      if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.json)}`)
      return res.json.data[0].id
    },
    async waitFor(id, names, timeoutMs = 15_000) {
      let status: { message: string; failure_message?: string } | undefined
      return waitUntil(
        () => `instance ${id} to be ${names.join('|')}; it is ${JSON.stringify(status)}`,
        async () => {
          status = (await api('GET', `/api/lambda-instances/${id}/?filter=status`)).json.data?.[0]?.status
          return status && names.includes(status.message) ? status : undefined
        },
        timeoutMs,
      )
    },
    async statuses(id) {
      const events = await service.log.readStream(instanceStream(id))
      return events.flatMap((e) => statusAfter({ type: e.type, data: e.data } as InstanceEvent)?.status ?? [])
    },
    usage: () => emulator.usage(DEMO_PROJECT_ID, alice.id),
  }
}

export const failedStatuses = ['FAILED', 'CLUSTER_FAILED', 'INIT_FAILED', 'COMMONS_FAILED', 'HADOOP_FAILED', 'KAFKA_FAILED', 'FLINK_FAILED', 'FLUME_FAILED']

/** What alice holds on ~okeanos that belongs to lambda instances. */
export async function leftovers(cluster: Pick<Cluster, 'okeanos'>) {
  const ok = await cluster.okeanos()
  const [servers, networks, ips, ports] = await Promise.all([ok.compute.listServers(), ok.network.listNetworks(), ok.network.listFloatingIps(), ok.network.listPorts()])
  return {
    servers: servers.filter((s) => s.metadata?.lod_instance).map((s) => s.name),
    networks: networks.filter((n) => n.name.startsWith('lambda-vpn-')).map((n) => n.name),
    floatingIps: ips.map((ip) => ip.floating_ip_address),
    ports: ports.filter((p) => p.device_owner === 'vm').map((p) => p.id),
  }
}
