import t from 'tap'
import { destinationMessages, destinationProblem, isPrivateAddress, parseDestination } from '../../src/webhooks/destination.js'
import { defaultRetrySchedule, judge, retryAfterMs } from '../../src/webhooks/retries.js'

// Where a webhook may send, and when a failed attempt is tried again.

t.test('loopback, private, link-local, metadata and unspecified addresses are refused, in every spelling', async (t) => {
  for (const address of [
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:10.0.0.1', '64:ff9b::10.0.0.1', '64:ff9b::a9fe:a9fe', 'not an address',
  ])
    t.ok(isPrivateAddress(address), address)
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'])
    t.notOk(isPrivateAddress(address), address)
})

t.test('only http(s) URLs without credentials; a host that resolves to a private address is refused unless allowed', async (t) => {
  t.same(parseDestination('ftp://example.com/'), { problem: destinationMessages.notUrl })
  t.same(parseDestination('not a url'), { problem: destinationMessages.notUrl })
  t.same(parseDestination('https://user:pass@example.com/'), { problem: destinationMessages.credentials })
  t.same(parseDestination(`https://example.com/${'a'.repeat(2048)}`), { problem: destinationMessages.tooLong })
  const url = (text: string) => (parseDestination(text) as { url: URL }).url
  const resolvesTo = (...addresses: string[]) => async () => addresses
  t.equal(await destinationProblem(url('https://example.com/hook'), false, resolvesTo('93.184.216.34')), undefined)
  t.equal(await destinationProblem(url('https://rebound.example/'), false, resolvesTo('93.184.216.34', '10.1.1.1')), destinationMessages.privateAddress('rebound.example'))
  t.equal(await destinationProblem(url('http://169.254.169.254/latest/meta-data'), false, resolvesTo()), destinationMessages.privateAddress('169.254.169.254'))
  t.equal(await destinationProblem(url('http://[::1]:8080/'), false, resolvesTo()), destinationMessages.privateAddress('::1'))
  t.equal(await destinationProblem(url('http://localhost/'), true, resolvesTo('127.0.0.1')), undefined, 'allowed by the setting')
  t.equal(await destinationProblem(url('http://nowhere.invalid/'), false, async () => { throw new Error('ENOTFOUND') }), destinationMessages.unresolved('nowhere.invalid'))
})

t.test('retried on no answer, 408, 429 and 5xx with growing delays until the window ends; other answers end it at once', async (t) => {
  const s = defaultRetrySchedule
  const start = 1_000_000
  t.same(judge({ httpStatus: 204 }, 1, start, start, s), { end: 'delivered' })
  t.match(judge({ httpStatus: 404 }, 1, start, start, s), { end: 'failed' })
  t.match(judge({ httpStatus: 301 }, 1, start, start, s), { end: 'failed' }, 'a redirect is not followed')
  const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => (judge({ httpStatus: 503 }, n, start, start, s) as { retryInMs: number }).retryInMs)
  t.same(delays, [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 10_800_000])
  for (const status of [null, 408, 429, 500, 502])
    t.ok('retryInMs' in judge({ httpStatus: status }, 1, start, start, s), String(status))
  t.same(judge({ httpStatus: 429, retryAfter: '120' }, 1, start, start, s), { retryInMs: 120_000 }, 'Retry-After in seconds')
  t.equal(retryAfterMs(new Date(start + 60_000).toUTCString(), start), 60_000, 'Retry-After as a date')
  const nearEnd = start + s.retryForMs - 1000
  t.same(judge({ httpStatus: 503 }, 9, start, nearEnd, s), { retryInMs: 5_000 }, 'one more attempt after the window ends')
  t.match(judge({ httpStatus: 503 }, 10, start, start + s.retryForMs + 1, s), { end: 'failed' }, 'then given up')
})
