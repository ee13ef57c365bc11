import Database from 'better-sqlite3'
import Fastify from 'fastify'

// The baseline: the same two endpoints as a plain Fastify + better-sqlite3 CRUD service, one row per
// instance updated in place, each update its own durable (WAL, synchronous=FULL) commit.

const port = Number(process.env.PORT ?? 0)
const db = new Database(process.env.CRUD_DB ?? ':memory:')
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.exec(`CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, owner TEXT, name TEXT, status TEXT, failure_message TEXT, instance_info TEXT)`)
const token = process.env.CRUD_TOKEN ?? 'token'
const names: Record<string, [string, string]> = { '0': ['STARTED', 'Lambda instance has been started'], '1': ['STOPPED', 'Lambda instance has been stopped'] }

const get = db.prepare<[string], { id: string; name: string; status: string; failure_message: string; instance_info: string }>('SELECT * FROM instances WHERE id = ?')
const update = db.prepare('UPDATE instances SET status = ?, failure_message = ? WHERE id = ?')
const insert = db.prepare('INSERT INTO instances VALUES (?, ?, ?, ?, ?, ?)')

const app = Fastify()
app.addHook('onRequest', async (request, reply) => {
  if (request.headers.authorization !== `Token ${token}`) return reply.code(401).send({ errors: [{ status: 401, detail: 'Unauthorized' }] })
})
app.post<{ Body: { id: string; name: string; instance_info: unknown } }>('/api/instances', async (request, reply) => {
  insert.run(request.body.id, 'owner', request.body.name, '2', '', JSON.stringify(request.body.instance_info))
  return reply.code(202).send({ data: [{ id: request.body.id }] })
})
app.post<{ Params: { id: string }; Body: { status: string; failure_message?: string } }>('/api/lambda_instances/:id/status/', async (request, reply) => {
  const row = get.get(request.params.id)
  if (!row) return reply.code(404).send({ errors: [{ status: 404, detail: "The specified lambda instance doesn't exist." }] })
  if (row.status === request.body.status) return reply.code(409).send({ errors: [{ status: 409, detail: 'same status' }] })
  update.run(request.body.status, request.body.failure_message ?? '', request.params.id)
  return reply.code(202).send({ status: { code: 202, short_description: 'Lambda instances status update accepted.' }, data: [{ id: row.id }] })
})
app.get<{ Params: { id: string } }>('/api/lambda-instances/:id/', async (request, reply) => {
  const row = get.get(request.params.id)
  if (!row) return reply.code(404).send({ errors: [{ status: 404, detail: "The specified lambda instance doesn't exist." }] })
  const [message, detail] = names[row.status] ?? [row.status, '']
  return {
    status: { code: 200, short_description: 'Lambda instance details' },
    data: [{ info: { id: row.id, name: row.name, instance_info: { ...JSON.parse(row.instance_info), master_node_id: null } }, status: { code: row.status, message, detail }, applications: [] }],
  }
})
await app.listen({ port, host: '127.0.0.1' })
const address = app.server.address()
console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`)
