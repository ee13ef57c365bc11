import t from 'tap'
import { OwnerTokenValidator } from '../../src/auth/owner-tokens.js'

t.test('a flood of invalid tokens does not evict the valid ones', async (t) => {
  const checked: string[] = []
  const validator = new OwnerTokenValidator(
    async (token) => {
      checked.push(token)
      return token.startsWith('good') ? { id: token, name: token } : null
    },
    { validTtlMs: 60_000, invalidTtlMs: 10_000, maxEntries: 10, maxRefusedEntries: 10 },
  )
  for (const user of ['good-1', 'good-2']) await validator.validate(user)
  let refused = 0
  for (let i = 0; i < 1000; i++) if ((await validator.validate(`forged-${i}`)) === null) refused++
  t.equal(refused, 1000)
  checked.length = 0
  t.same(await validator.validate('good-1'), { id: 'good-1', name: 'good-1' })
  t.same(await validator.validate('good-2'), { id: 'good-2', name: 'good-2' })
  t.same(checked, [], 'the valid tokens were still remembered: ~okeanos was not asked again')
  await validator.validate('forged-999')
  await validator.validate('forged-0')
  t.same(checked, ['forged-0'], 'the refused cache keeps the newest refusals, bounded')
})

t.test('an answer replaces the other kind', async (t) => {
  let valid = false
  let now = 0
  const validator = new OwnerTokenValidator(async () => (valid ? { id: 'u', name: 'U' } : null), {
    validTtlMs: 1000,
    invalidTtlMs: 100,
    now: () => now,
  })
  t.equal(await validator.validate('t'), null)
  valid = true
  now = 200
  t.same(await validator.validate('t'), { id: 'u', name: 'U' })
  t.same(validator.peek('t'), { id: 'u', name: 'U' })
})
