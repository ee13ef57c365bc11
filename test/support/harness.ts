import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { InstanceEvent } from '../../src/instances/events.js'
import type { ApplicationEvent } from '../../src/applications/events.js'
import { demoUsers, startEmulator, type Emulator } from '../../src/okeanos/emulator/index.js'
import { createService, type Service, type ServiceOptions } from '../../src/app/service.js'
import { instanceStream } from '../../src/instances/events.js'
import { applicationStream } from '../../src/applications/events.js'
import { given } from './given.js'
import { freshPostgresDatabase } from './postgres.js'

// The service in memory, authenticating against a real ~okeanos emulator on a local port; or, with `postgres`, its
// log and secrets in a fresh database of the test run's PostgreSQL.

export interface Harness {
  emulator: Emulator
  service: Service
  /** The service's PostgreSQL database, when it has one. */
  databaseUrl: string | undefined
  /** Two users of the emulator: tokens and Astakos uuids. */
  alice: { token: string; id: string; name: string }
  bob: { token: string; id: string; name: string }
  call(
    method: NonNullable<InjectOptions['method']>,
    url: string,
    options?: { token?: string | null; payload?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>
  /** Appends events to an instance's stream as if they had happened (the "given" of an API test). */
  given(instanceId: string, ...events: InstanceEvent[]): Promise<void>
  /** The same for an application's stream. */
  givenApp(appId: string, ...events: ApplicationEvent[]): Promise<void>
}

export async function startHarness(t: Test, { postgres = false, ...options }: Partial<ServiceOptions> & { postgres?: boolean } = {}): Promise<Harness> {
  const emulator = await startEmulator({ users: demoUsers() })
  const databaseUrl = postgres ? await freshPostgresDatabase() : options.databaseUrl
  const service = await createService({
    dataDir: undefined,
    identityUrl: emulator.identityUrl,
    secretKey: randomBytes(32),
    ...options,
    ...(databaseUrl !== undefined && { databaseUrl }),
  })
  t.teardown(async () => {
    await service.close()
    await emulator.close()
  })
  const [a, b] = emulator.users
  const user = (u: typeof a) => ({ token: u!.token, id: u!.id, name: u!.name })
  const alice = user(a)
  return {
    emulator,
    service,
    databaseUrl,
    alice,
    bob: user(b),
    call: (method, url, { token = alice.token, payload, headers = {} } = {}) =>
      service.app.inject({
        method,
        url,
        headers: { ...(token !== null && { authorization: `Token ${token}` }), ...headers },
        ...(payload !== undefined && { payload: payload as NonNullable<InjectOptions['payload']> }),
      }),
    given: (instanceId, ...events) => given(service.log, instanceStream(instanceId), ...events),
    givenApp: (appId, ...events) => given(service.log, applicationStream(appId), ...events),
  }
}

export { createBody, requestedBy, statusChanged } from './fixtures.js'
