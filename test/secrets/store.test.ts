import t from 'tap'
import { randomBytes } from 'node:crypto'
import { SecretStore } from '../../src/secrets/store.js'

// The store remembers the instance of a resolved service-VM token, but only so many: a token dropped from
// memory still resolves, by the HMAC lookup in the file.

t.test('the token cache is bounded and an evicted token still resolves', async (t) => {
  const store = new SecretStore(`${t.testdir()}/secrets.db`, randomBytes(32), { maxCachedTokens: 3 })
  t.teardown(() => store.close())
  const ids = Array.from({ length: 10 }, (_, i) => `instance-${i}`)
  const tokens = ids.map((id) => store.instanceToken(id))

  for (const [i, token] of tokens.entries()) t.equal(store.instanceForToken(token), ids[i])
  t.equal(store.cachedTokens, 3, 'only the last three are remembered')

  t.equal(store.instanceForToken(tokens[0]!), ids[0], 'the first token, long evicted, still resolves')
  t.equal(store.cachedTokens, 3, 'and resolving it keeps the bound')
  for (let round = 0; round < 3; round++) for (const [i, token] of tokens.entries()) t.equal(store.instanceForToken(token), ids[i])
  t.equal(store.cachedTokens, 3)

  t.equal(store.instanceForToken('not-a-token'), undefined, 'an unknown token resolves to nothing')
  t.equal(store.cachedTokens, 3, 'and is not remembered')
})

t.test('a recently used token is kept over older ones', async (t) => {
  const store = new SecretStore(`${t.testdir()}/secrets.db`, randomBytes(32), { maxCachedTokens: 2 })
  t.teardown(() => store.close())
  const [a, b, c] = ['a', 'b', 'c'].map((id) => store.instanceToken(id)) as [string, string, string]
  store.instanceForToken(a)
  store.instanceForToken(b)
  store.instanceForToken(a) // a is now the most recent: c evicts b
  store.instanceForToken(c)
  t.equal(store.cachedTokens, 2)
  t.equal(store.instanceForToken(b), 'b', 'the evicted token resolves from the file')
  t.equal(store.instanceForToken(a), 'a')
  t.equal(store.instanceForToken(c), 'c')
})

t.test('the default bound still resolves tokens across a reopen', async (t) => {
  const path = `${t.testdir()}/secrets.db`
  const key = randomBytes(32)
  const first = new SecretStore(path, key)
  const token = first.instanceToken('x')
  t.equal(first.instanceForToken(token), 'x')
  first.close()
  const second = new SecretStore(path, key)
  t.teardown(() => second.close())
  t.equal(second.cachedTokens, 0)
  t.equal(second.instanceForToken(token), 'x')
})
