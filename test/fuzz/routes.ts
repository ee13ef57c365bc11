import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

// Every route the app has, read from Fastify's own table (printRoutes draws it as a tree of path pieces), so
// that a route added tomorrow is fuzzed tomorrow. The table lists every method for every path (the others
// answer 405, errors.ts), so the methods a route really has come from the Allow header of a 405.

export interface Route {
  /** The path with its parameters, e.g. /api/lambda-instances/:id */
  path: string
  /** The methods it answers other than with a 405. */
  methods: string[]
}

export async function routesOf(app: FastifyInstance): Promise<Route[]> {
  const routes: Route[] = []
  const prefixes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ├└─]*)(\S.*?) \(([^)]+)\)$/.exec(line)
    if (!match) continue
    const depth = match[1]!.length / 4
    const path = (prefixes[depth - 1] ?? '') + match[2]!
    prefixes[depth] = path
    prefixes.length = depth + 1
    const listed = match[3]!.split(', ')
    const probe = await app.inject({ method: 'PATCH', url: path.replace(/:[A-Za-z_]+/g, randomUUID()).replace('*', '/x') })
    const allow = probe.statusCode === 405 ? probe.headers.allow : undefined
    routes.push({ path, methods: typeof allow === 'string' ? allow.split(', ') : listed })
  }
  return routes
}
