import t from 'tap'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { SecretStore, type SecretStoreOptions } from '../../src/secrets/store.js'
import { SqliteSecrets } from '../../src/secrets/sqlite.js'

// The store remembers the instance of a resolved service-VM token, but only so many: a token dropped from
// memory still resolves, by the HMAC lookup in the file. A file of an older layout is brought to the current one.

const openStore = (path: string, key: Buffer, options?: SecretStoreOptions) => new SecretStore(new SqliteSecrets(path), key, options)

t.test('the token cache is bounded and an evicted token still resolves', async (t) => {
  const store = openStore(`${t.testdir()}/secrets.db`, randomBytes(32), { maxCachedTokens: 3 })
  t.teardown(() => store.close())
  const ids = Array.from({ length: 10 }, (_, i) => `instance-${i}`)
  const tokens: string[] = []
  for (const id of ids) tokens.push(await store.instanceToken(id))

  for (const [i, token] of tokens.entries()) t.equal(await store.instanceForToken(token), ids[i])
  t.equal(store.cachedTokens, 3, 'only the last three are remembered')

  t.equal(await store.instanceForToken(tokens[0]!), ids[0], 'the first token, long evicted, still resolves')
  t.equal(store.cachedTokens, 3, 'and resolving it keeps the bound')
  for (let round = 0; round < 3; round++) for (const [i, token] of tokens.entries()) t.equal(await store.instanceForToken(token), ids[i])
  t.equal(store.cachedTokens, 3)

  t.equal(await store.instanceForToken('not-a-token'), undefined, 'an unknown token resolves to nothing')
  t.equal(store.cachedTokens, 3, 'and is not remembered')
})

t.test('a recently used token is kept over older ones', async (t) => {
  const store = openStore(`${t.testdir()}/secrets.db`, randomBytes(32), { maxCachedTokens: 2 })
  t.teardown(() => store.close())
  const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((id) => store.instanceToken(id)))) as [string, string, string]
  await store.instanceForToken(a)
  await store.instanceForToken(b)
  await store.instanceForToken(a) // a is now the most recent: c evicts b
  await store.instanceForToken(c)
  t.equal(store.cachedTokens, 2)
  t.equal(await store.instanceForToken(b), 'b', 'the evicted token resolves from the file')
  t.equal(await store.instanceForToken(a), 'a')
  t.equal(await store.instanceForToken(c), 'c')
})

t.test('the default bound still resolves tokens across a reopen', async (t) => {
  const path = `${t.testdir()}/secrets.db`
  const key = randomBytes(32)
  const first = openStore(path, key)
  const token = await first.instanceToken('x')
  t.equal(await first.instanceForToken(token), 'x')
  await first.close()
  const second = openStore(path, key)
  t.teardown(() => second.close())
  t.equal(second.cachedTokens, 0)
  t.equal(await second.instanceForToken(token), 'x')
})

t.test("a file of the first layout (the column instance_id) is migrated, and its secrets are still readable", async (t) => {
  const dir = t.testdir()
  const path = `${dir}/secrets.db`
  const key = randomBytes(32)
  // The rows of an old file: sealed by the store itself, written into a file of the first layout by hand.
  const writer = openStore(`${dir}/current.db`, key)
  const token = await writer.instanceToken('instance-1')
  await writer.put('instance-1', 'ssh-private-key', 'PRIVATE KEY')
  await writer.replace('application-1', 'owner-token', 'owner token')
  await writer.close()
  const old = new Database(path)
  old.exec(`CREATE TABLE IF NOT EXISTS secrets (
      instance_id TEXT NOT NULL,
      kind        TEXT NOT NULL,
      lookup      TEXT UNIQUE,
      sealed      BLOB NOT NULL,
      PRIMARY KEY (instance_id, kind)
    ) WITHOUT ROWID`)
  old.exec(`ATTACH '${dir}/current.db' AS current; INSERT INTO secrets SELECT * FROM current.secrets; DETACH current`)
  old.close()

  const store = openStore(path, key)
  t.teardown(() => store.close())
  t.equal(await store.get('instance-1', 'ssh-private-key'), 'PRIVATE KEY')
  t.equal(await store.get('application-1', 'owner-token'), 'owner token')
  t.equal(await store.instanceForToken(token), 'instance-1', 'a service-VM token still resolves by its lookup')
  t.equal(await store.instanceToken('instance-1'), token, 'and is the one kept, not a new one')

  const file = new Database(path, { readonly: true })
  t.teardown(() => file.close())
  t.same((file.pragma('table_info(secrets)') as Array<{ name: string }>).map((column) => column.name), ['subject_id', 'kind', 'lookup', 'sealed'])
  t.equal(file.pragma('user_version', { simple: true }), 1)
})

t.test('a file the store wrote opens again as it is, and one of a newer layout is refused', async (t) => {
  const path = `${t.testdir()}/secrets.db`
  const key = randomBytes(32)
  const first = openStore(path, key)
  await first.put('x', 'ssh-public-key', 'PUBLIC KEY')
  await first.close()
  const second = openStore(path, key)
  t.equal(await second.get('x', 'ssh-public-key'), 'PUBLIC KEY')
  await second.close()

  const file = new Database(path)
  file.pragma('user_version = 2')
  file.close()
  t.throws(() => openStore(path, key), /newer version/)
})
