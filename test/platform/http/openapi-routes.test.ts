import t from 'tap'
import { randomUUID } from 'node:crypto'
import { startHarness } from '../../support/harness.js'

// Every route the service serves is in the OpenAPI document, not only those of the contract's tables
// (openapi.test.ts): a route declared without `config: { docs }` is left out of the document, and nothing else
// would notice. The routes are read from Fastify's route tree; the 405 answers to the other methods of a path,
// and Swagger UI's own files, are not routes of the API.

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** The paths of `printRoutes({ commonPrefix: false })`, each a chain of segments drawn as a tree. */
function pathsOf(tree: string): string[] {
  const paths: string[] = []
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const drawn = /^([│ ]*)[├└]── (\S+)/u.exec(line)
    if (!drawn) continue
    const depth = drawn[1]!.length / 4
    stack.length = depth
    stack.push(drawn[2]!)
    paths.push(stack.join(''))
  }
  return paths
}

// Each parameter as `{id}`, in the route's path and the document's alike (a path may have two: {id} and {delivery}).
const documentedPath = (url: string) => url.replace(/:[a-z_]+/g, '{id}')
const anyParameter = (path: string) => path.replace(/\{[a-z_]+\}/g, '{id}')

t.test('every route the service serves is documented', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const openapi = (await h.call('GET', '/api/openapi.json', { token: null })).json()
  const document = { paths: Object.fromEntries(Object.entries(openapi.paths as Record<string, unknown>).map(([path, item]) => [anyParameter(path), item])) as Record<string, any> }
  const paths = pathsOf(h.service.app.printRoutes({ commonPrefix: false })).filter((path) => !path.startsWith('/api/docs'))
  t.ok(paths.length >= 30, `${paths.length} paths read from the route tree`)
  let served = 0
  for (const path of paths)
    for (const method of methods) {
      const reply = await h.call(method, path.replace(/:[a-z_]+/g, randomUUID()), { token: null })
      if (reply.statusCode === 405) continue
      served++
      t.ok(document.paths[documentedPath(path)]?.[method.toLowerCase()], `${method} ${path} is documented`)
    }
  t.ok(served >= 40, `${served} routes served`)
})
