import Fastify from 'fastify'

// The ceiling: Fastify answering a constant on this machine, with nothing behind it.

const app = Fastify()
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
const address = app.server.address()
console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
