import t from 'tap'
import { PostgresEventLog } from '../../../src/platform/eventlog/postgres.js'
import { PrimaryLostError } from '../../../src/platform/eventlog/postgres-primary.js'
import { freshPostgresDatabase } from '../../support/postgres.js'
import { postgresRelay } from '../../support/postgres-relay.js'

// A primary that keeps its connections open but stops answering (a stalled host) holds no query for ever: past the
// log's query timeout the query fails as a lost primary, and the log looks for the primary again.

t.test('a query a stalled primary never answers fails after the query timeout, as a lost primary', async (t) => {
  const relay = await postgresRelay(t, await freshPostgresDatabase())
  const log = await PostgresEventLog.open({ connectionString: relay.connectionString, queryTimeoutMs: 300, onConnectionError: () => undefined })
  t.teardown(() => log.close())
  t.equal(await log.headPosition(), 0)
  void relay.stall()
  const started = performance.now()
  const error = await log.headPosition().catch((failure: unknown) => failure)
  const waited = performance.now() - started
  t.type(error, PrimaryLostError)
  t.match((error as Error).message, /Query read timeout/)
  t.ok(waited >= 290 && waited < 3000, `failed after ${Math.round(waited)} ms`)
})
