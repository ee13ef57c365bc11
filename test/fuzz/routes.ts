import type { FastifyInstance } from 'fastify'

// Every route the app has, read from Fastify's own table (printRoutes draws it as a tree of path pieces), so
// that a route added tomorrow is fuzzed tomorrow.

export interface Route {
  /** The path with its parameters, e.g. /api/lambda-instances/:id */
  path: string
  methods: string[]
}

export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = []
  const prefixes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ├└─]*)(\S.*?) \(([^)]+)\)$/.exec(line)
    if (!match) continue
    const depth = match[1]!.length / 4
    const path = (prefixes[depth - 1] ?? '') + match[2]!
    prefixes[depth] = path
    prefixes.length = depth + 1
    routes.push({ path, methods: match[3]!.split(', ') })
  }
  return routes
}
