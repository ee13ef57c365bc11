import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { SecretStore } from '../../src/secrets/store.js'
import { PostgresSecrets, type PostgresConnections } from '../../src/secrets/postgres.js'
import { PostgresEventLog } from '../../src/platform/eventlog/postgres.js'
import { SqliteSecrets } from '../../src/secrets/sqlite.js'
import { freshPostgresDatabase, queryPostgres as query } from '../support/postgres.js'

// The secret store in PostgreSQL: what one node keeps, every node on the database reads; sealed as in the SQLite
// file (the same key opens a row of either); its table made and versioned when a store opens.

/** A node's connections: those of its event log, which the store shares. */
async function connections(t: Test, connectionString: string): Promise<PostgresConnections> {
  const log = await PostgresEventLog.open({ connectionString })
  t.teardown(() => log.close())
  return log.primary
}

async function openStore(t: Test, connectionString: string, key: Buffer): Promise<SecretStore> {
  return new SecretStore(await PostgresSecrets.open(await connections(t, connectionString)), key)
}

t.test("two nodes share the secrets: the first writer wins, a token made on one resolves on the other", async (t) => {
  const url = await freshPostgresDatabase()
  const key = randomBytes(32)
  const [api, reactors] = await Promise.all([openStore(t, url, key), openStore(t, url, key)])
  await api.replace('app-1', 'owner-token', 'first token')
  await api.replace('app-1', 'owner-token', 'newer token')
  t.equal(await reactors.get('app-1', 'owner-token'), 'newer token', 'a replaced token is the newer one')

  const [one, other] = await Promise.all([api.put('i-1', 'ssh-private-key', 'KEY A'), reactors.put('i-1', 'ssh-private-key', 'KEY B')])
  t.equal(one, other, 'both got the key stored first')
  t.equal(await api.get('i-1', 'ssh-private-key'), one)
  t.equal(await api.put('i-1', 'ssh-public-key', 'PUBLIC A'), 'PUBLIC A')
  t.equal(await reactors.put('i-1', 'ssh-public-key', 'PUBLIC B'), 'PUBLIC A', 'a later writer gets the key stored first')

  const token = await reactors.instanceToken('i-1')
  t.equal(await reactors.instanceToken('i-1'), token, 'made once')
  t.equal(await api.instanceForToken(token), 'i-1', "the other node resolves the service VM's token")
  t.equal(await api.instanceForToken('not-a-token'), undefined)
  t.equal(await api.get('i-2', 'owner-token'), undefined)

  const rows = await query<{ sealed: Buffer }>(url, 'SELECT sealed FROM secrets')
  t.equal(rows.length, 4)
  for (const row of rows) t.notMatch(row.sealed.toString('latin1'), /token|KEY/, 'stored sealed')
})

t.test('a row sealed in the SQLite file opens from PostgreSQL with the same key', async (t) => {
  const url = await freshPostgresDatabase()
  const key = randomBytes(32)
  const path = `${t.testdir()}/secrets.db`
  const file = new SecretStore(new SqliteSecrets(path), key)
  const token = await file.instanceToken('i-1')
  await file.close()
  const db = new Database(path, { readonly: true })
  const row = db.prepare('SELECT subject_id, kind, lookup, sealed FROM secrets').get() as { subject_id: string; kind: string; lookup: string; sealed: Buffer }
  db.close()
  const store = await openStore(t, url, key)
  await query(url, 'INSERT INTO secrets VALUES ($1, $2, $3, $4)', [row.subject_id, row.kind, row.lookup, row.sealed])
  t.equal(await store.get('i-1', 'instance-token'), token)
  t.equal(await store.instanceForToken(token), 'i-1')
})

t.test('the table is made once by stores opening at once, and a newer schema is refused', async (t) => {
  const url = await freshPostgresDatabase()
  const key = randomBytes(32)
  await Promise.all([openStore(t, url, key), openStore(t, url, key), openStore(t, url, key)])
  t.same(await query(url, 'SELECT version FROM secrets_schema_version'), [{ version: 1 }])
  await query(url, 'INSERT INTO secrets_schema_version (version) VALUES (2)')
  await t.rejects(PostgresSecrets.open(await connections(t, url)), /the secret store's schema is at version 2, this code knows versions up to 1/)
})
