import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { Test } from 'tap'
import { Webhook } from 'standardwebhooks'

// A webhook receiver on a local port, as a user's system would be: it verifies the Standard Webhooks signature of
// every request with the standardwebhooks library (against any of the secrets it was given), keeps what arrived,
// and answers as `answer` says (204 by default; a number, or a promise of one to hold the request).

export interface Received {
  path: string
  id: string
  headers: IncomingHttpHeaders
  body: { type: string; timestamp: string; data: Record<string, any> }
  /** The signature verified against one of `secrets`. */
  verified: boolean
}

export interface Receiver {
  url: string
  received: Received[]
  /** The secrets it accepts signatures by. */
  secrets: string[]
  answer: (request: Received, nth: number) => number | Promise<number>
}

export async function startReceiver(t: Test): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], secrets: [], answer: () => 204 }
  const seen = new Map<string, number>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const headers = request.headers as Record<string, string>
      const verified = receiver.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(text, headers)
          return true
        } catch {
          return false
        }
      })
      const id = headers['webhook-id'] ?? ''
      const got: Received = { path: request.url ?? '', id, headers: request.headers, body: JSON.parse(text), verified }
      receiver.received.push(got)
      const nth = (seen.get(id) ?? 0) + 1
      seen.set(id, nth)
      const status = await receiver.answer(got, nth)
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'not now' : '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  receiver.url = `http://127.0.0.1:${port}`
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return receiver
}
