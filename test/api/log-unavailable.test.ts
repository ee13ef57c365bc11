import t from 'tap'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { logUnavailableMessage } from '../../src/platform/http/errors.js'
import { createBody, startHarness } from '../support/harness.js'
import { freshPostgresDatabase } from '../support/postgres.js'
import { postgresRelay } from '../support/postgres-relay.js'

// A log that cannot be reached for a moment (PostgreSQL's primary lost during a request, then no primary at all, as
// during a failover) is neither the client's mistake nor the service's bug: 503 with Retry-After, in the error
// envelope, from the real PostgreSQL log whose connections a relay cuts.

t.test('a primary lost mid-request, then none: 503 with Retry-After: 1 on commands and reads alike', async (t) => {
  const relay = await postgresRelay(t, await freshPostgresDatabase())
  const warnings: Array<{ msg: string; err?: { type: string } }> = []
  const logs = new Writable({ write: (line: Buffer, _encoding, done) => (warnings.push(JSON.parse(line.toString())), done()) })
  const h = await startHarness(t, { databaseUrl: relay.connectionString, logger: { level: 'warn', stream: logs } })
  const created = await h.call('POST', '/api/lambda-instance/', { payload: createBody })
  t.equal(created.statusCode, 202, created.body)
  const id = created.json().data[0].id as string

  const held = relay.stall()
  const inFlight = h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '10' } })
  await held
  // What was held may be the log's own poll of its head: time for the command's query to be held too.
  await sleep(200)
  relay.cut()
  const unavailable = (reply: Awaited<typeof inFlight>, what: string) => {
    t.equal(reply.statusCode, 503, what)
    t.equal(reply.headers['retry-after'], '1', what)
    t.same(reply.json(), { errors: [{ status: 503, detail: logUnavailableMessage }] }, what)
  }
  unavailable(await inFlight, 'the command whose query the lost primary was answering')
  unavailable(await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status: '10' } }), 'a command with no primary to be found')
  unavailable(await h.call('GET', `/api/lambda-instances/${id}/`), "a read, which asks the log's head")
  t.same(
    warnings.filter((line) => line.msg === 'event log unavailable').map((line) => line.err?.type),
    ['PrimaryLostError', 'NoPrimaryError', 'NoPrimaryError'],
    'each told in the log as the error the log threw',
  )
})
