import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { startHarness } from '../../support/harness.js'

// The OpenAPI document is valid OpenAPI 3.1 (checked by a maintained validator), and lists every route of the
// contract (docs/api.md) that the service serves, each with its error replies.

const contract = join(import.meta.dirname, '..', '..', '..', 'docs', 'api.md')

/** "METHOD /path/{param}/" rows of the contract's tables, paths normalised as the document writes them. */
function contractRoutes(markdown: string): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = []
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim())
    const methods = cells[1]?.split('\\|') ?? []
    if (!methods.every((m) => /^(GET|POST|PUT|PATCH|DELETE)$/.test(m)) || methods.length === 0) continue
    const paths = (cells[2] ?? '').split(' and ').map((p) => p.trim())
    for (const method of methods) for (const path of paths) if (path.startsWith('/')) routes.push({ method, path })
  }
  const beyond = markdown.slice(markdown.indexOf('## Beyond the original'))
  for (const [, method, path] of beyond.matchAll(/`(GET|POST|DELETE) (\/[^`]+)`/g)) routes.push({ method: method!, path: path! })
  for (const [, path] of beyond.matchAll(/`(\/[a-z]+)`/g)) routes.push({ method: 'GET', path: path! })
  routes.push({ method: 'GET', path: '/api/openapi.json' })
  return routes
}

const normalise = (path: string) => path.replace(/\/+$/, '').replace(/\{[^}]+\}/g, '{}') || '/'

t.test('the document is valid OpenAPI 3.1', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const reply = await h.call('GET', '/api/openapi.json', { token: null })
  t.equal(reply.statusCode, 200)
  const document = reply.json()
  t.equal(document.openapi, '3.1.0')
  await t.resolves(SwaggerParser.validate(structuredClone(document)))
  t.ok(document.components.securitySchemes.token, 'the token scheme is described')
})

t.test('every route of the contract the service serves is documented, with its errors', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const document = (await h.call('GET', '/api/openapi.json', { token: null })).json()
  const documented = new Map<string, Record<string, any>>()
  for (const [path, operations] of Object.entries<Record<string, any>>(document.paths))
    for (const [method, operation] of Object.entries(operations)) documented.set(`${method.toUpperCase()} ${normalise(path)}`, operation)

  const routes = contractRoutes(readFileSync(contract, 'utf8'))
  t.ok(routes.length >= 30, `${routes.length} routes read from docs/api.md`)
  for (const { method, path } of routes) {
    const operation = documented.get(`${method} ${normalise(path)}`)
    t.ok(operation, `${method} ${path} is documented`)
    if (!operation) continue
    t.ok(operation.summary, `${method} ${path} has a summary`)
    const errors = Object.entries<any>(operation.responses).filter(([status]) => Number(status) >= 400)
    t.ok(errors.length > 0, `${method} ${path} documents its errors`)
    for (const [status, response] of errors)
      t.ok(response.content['application/json'].schema.properties.errors, `${method} ${path} ${status} is the error envelope`)
  }
})

t.test('documenting the routes changed nothing they accept or answer', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  // Hand-validated input keeps the original's messages (a schema would have answered with its own).
  const limit = await h.call('GET', '/api/lambda-instances/?limit=x')
  t.same(limit.json(), { errors: [{ status: 400, detail: 'limit value should be an integer greater or equal to zero.' }] })
  t.equal((await h.call('GET', '/api/lambda-instances/not-a-uuid/')).statusCode, 404, 'a malformed id is still a 404')
  const create = await h.call('POST', '/api/lambda-instance/', { payload: { project_name: 'p', unknown: 1 } })
  t.match(create.json().errors, [{ status: 400, detail: [String] }])
  t.equal((await h.call('GET', '/api/docs/', { token: null })).statusCode, 200, 'Swagger UI is served')
})
