import t from 'tap'
import { loggerOptions } from '../../../src/platform/http/logging.js'
import { startHarness } from '../../support/harness.js'

// The service's log lines are JSON with the request id, and never hold a token.

t.test('each request is logged with its id; the Authorization header is redacted', async (t) => {
  const lines: Array<Record<string, any>> = []
  const h = await startHarness(t, { logger: loggerOptions('info', { write: (line) => lines.push(JSON.parse(line)) }), processMetrics: false })
  const reply = await h.call('GET', '/api/lambda-instances/', { headers: { 'x-request-id': 'trace-me' } })
  t.equal(reply.headers['x-request-id'], 'trace-me')
  const received = lines.find((line) => line.msg === 'incoming request')!
  const answered = lines.find((line) => line.msg === 'request completed')!
  t.equal(received.reqId, 'trace-me')
  t.equal(answered.reqId, 'trace-me')
  t.equal(received.req.headers.authorization, '[redacted]')
  t.notMatch(JSON.stringify(lines), h.alice.token, 'the token appears nowhere')
})
