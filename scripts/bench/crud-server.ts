import Database from 'better-sqlite3'
import Fastify, { type FastifyRequest } from 'fastify'
import { instanceStatusView, type InstanceStatusCode } from '../../src/instances/statuses.js'
import { pagination } from '../../src/platform/http/pagination.js'

// The baseline: the benchmarked endpoints as a plain Fastify + better-sqlite3 CRUD service. One row per
// instance, updated in place; every update is its own commit in WAL mode, durable (synchronous=FULL: fsync'd
// before the reply) or not (CRUD_SYNCHRONOUS=NORMAL: a crash may lose the last commits); prepared statements;
// the same JSON as the service (status views, pagination links). It keeps no applications, so its details and
// list answer `applications: []` and `running_app: false` without a query: that only makes it faster.

const port = Number(process.env.PORT ?? 0)
const token = process.env.CRUD_TOKEN ?? 'token'
const owner = process.env.CRUD_OWNER ?? 'owner'
const db = new Database(process.env.CRUD_DB ?? ':memory:')
db.pragma('journal_mode = WAL')
const synchronous = process.env.CRUD_SYNCHRONOUS ?? 'FULL'
if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error(`CRUD_SYNCHRONOUS must be FULL or NORMAL, got ${synchronous}`)
db.pragma(`synchronous = ${synchronous}`)
db.exec(`CREATE TABLE IF NOT EXISTS instances (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, failure_message TEXT NOT NULL,
  instance_info TEXT NOT NULL, created_position INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS instances_by_owner ON instances (owner, created_position);`)

interface Row { id: string; name: string; status: InstanceStatusCode; failure_message: string; instance_info: string }
const get = db.prepare<[string, string], Row>('SELECT id, name, status, failure_message, instance_info FROM instances WHERE id = ? AND owner = ?')
const update = db.prepare('UPDATE instances SET status = ?, failure_message = ? WHERE id = ?')
const insert = db.prepare("INSERT INTO instances VALUES (?, ?, ?, '2', '', ?, (SELECT count(*) FROM instances))")
// CAST: as in the service, a bare `LIMIT ?` makes SQLite prepare the statement again at every call.
const page = db.prepare<[string, number, number], Row>(
  `SELECT id, name, status, failure_message FROM instances WHERE owner = ? AND status <> '6'
   ORDER BY created_position LIMIT CAST(? AS INTEGER) OFFSET ?`,
)
const count = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM instances WHERE owner = ? AND status <> '6'`)
const notFound = { errors: [{ status: 404, detail: "The specified lambda instance doesn't exist." }] }

const app = Fastify()
// The service's pagination helper builds its links with request.linkTo; a plain server takes its own Host.
app.decorateRequest('linkTo', function (this: FastifyRequest, path: string) {
  return `${this.protocol}://${this.host}${path}`
})
app.addHook('onRequest', async (request, reply) => {
  if (request.headers.authorization !== `Token ${token}`)
    return reply.code(401).send({ errors: [{ status: 401, detail: 'Unauthorized' }] })
})
app.post<{ Body: { id: string; name: string; instance_info: unknown } }>('/api/instances', async (request, reply) => {
  insert.run(request.body.id, owner, request.body.name, JSON.stringify(request.body.instance_info))
  return reply.code(202).send({ data: [{ id: request.body.id }] })
})
app.post<{ Params: { id: string }; Body: { status: InstanceStatusCode; failure_message?: string } }>(
  '/api/lambda_instances/:id/status/',
  async (request, reply) => {
    const row = get.get(request.params.id, owner)
    if (!row) return reply.code(404).send(notFound)
    if (row.status === request.body.status) return reply.code(409).send({ errors: [{ status: 409, detail: 'same status' }] })
    update.run(request.body.status, request.body.failure_message ?? '', request.params.id)
    return reply.code(202).send({ status: { code: 202, short_description: 'Lambda instances status update accepted.' }, data: [{ id: row.id }] })
  },
)
app.get<{ Params: { id: string } }>('/api/lambda-instances/:id/', async (request, reply) => {
  const row = get.get(request.params.id, owner)
  if (!row) return reply.code(404).send(notFound)
  return {
    status: { code: 200, short_description: 'Lambda instance details' },
    data: [
      {
        info: { id: row.id, name: row.name, instance_info: { ...JSON.parse(row.instance_info), master_node_id: null } },
        status: instanceStatusView(row.status, row.failure_message),
        applications: [],
      },
    ],
  }
})
app.get<{ Querystring: { limit?: string; offset?: string } }>('/api/lambda-instances/', async (request) => {
  const limit = Number.parseInt(request.query.limit ?? '-1', 10)
  const offset = Number.parseInt(request.query.offset ?? '0', 10)
  const data = page.all(owner, limit, offset).map((row) => ({
    id: row.id,
    name: row.name,
    status: instanceStatusView(row.status, row.failure_message),
    running_app: false,
  }))
  const status = { code: 200, short_description: 'Lambda instances' }
  if (limit < 0) return { status, data }
  return { status, data, pagination: pagination(request, { limit, offset }, count.get(owner)!.n) }
})
await app.listen({ port, host: '127.0.0.1' })
const address = app.server.address()
console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`)
