import t from 'tap'
import Fastify from 'fastify'
import { loggerOptions } from '../../../src/platform/http/logging.js'
import { startHarness } from '../../support/harness.js'

// The service's log lines are JSON, one per request with its id, and never hold a token.

t.test('each request is logged once, when answered, with its id, and without its headers', async (t) => {
  const lines: Array<Record<string, any>> = []
  const h = await startHarness(t, { logger: loggerOptions('info', { write: (line) => lines.push(JSON.parse(line)) }), processMetrics: false })
  const reply = await h.call('GET', '/api/lambda-instances/', { headers: { 'x-request-id': 'trace-me' } })
  t.equal(reply.headers['x-request-id'], 'trace-me')
  const ofRequest = lines.filter((line) => line.reqId === 'trace-me')
  t.same(ofRequest.map((line) => line.msg), ['request completed'])
  t.match(ofRequest[0], { req: { method: 'GET', url: '/api/lambda-instances/' }, res: { statusCode: 200 }, responseTime: Number })
  t.equal(ofRequest[0]!.req.headers, undefined, 'no headers')
  t.notMatch(JSON.stringify(lines), h.alice.token, 'the token appears nowhere')
})

t.test('a credential logged anyway is redacted', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: loggerOptions('info', { write: (line) => lines.push(line) }) })
  t.teardown(() => app.close())
  app.log.info({ token: 'secret-token', headers: { authorization: 'Token secret-token' } }, 'careless')
  t.notMatch(lines.join(''), 'secret-token')
  t.match(JSON.parse(lines[0]!), { token: '[redacted]', headers: { authorization: '[redacted]' } })
})
