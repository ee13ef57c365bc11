import { openEventStream } from '../../test/support/sse-client.js'
import type { ChildServer } from '../bench/servers.js'
import { cycledStatus, registerInstance } from '../bench/status-updates.js'

// The subscription lag between two nodes of one log: a status update acknowledged (202) by `writer` until
// `reader`'s Server-Sent Events stream of that instance delivers it, which `reader` does once its subscription to
// the log has heard of the commit. One update at a time, so each sample is the lag alone, not a queue's.

/** The lags in ms, sorted. */
export async function subscriptionLag(writer: ChildServer, reader: ChildServer, headers: Record<string, string>, samples: number): Promise<number[]> {
  const id = await registerInstance(writer.url, headers, 'bench-lag')
  const stream = await openEventStream(`${reader.url}/api/lambda-instances/${id}/events`, headers)
  if (stream.status !== 200) throw new Error(`event stream on ${reader.url}: ${stream.status}`)
  const lags: number[] = []
  try {
    await stream.next() // the current status
    for (let i = 1; i <= samples; i++) {
      const status = cycledStatus(i)
      const response = await fetch(`${writer.url}/api/lambda_instances/${id}/status/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ status, failure_message: '' }),
      })
      const acknowledged = performance.now()
      if (response.status !== 202) throw new Error(`status update on ${writer.url}: ${response.status} ${await response.text()}`)
      for (;;) {
        const event = await stream.next()
        if (!event) throw new Error(`the event stream on ${reader.url} ended`)
        if ((JSON.parse(event.data) as { status: { code: string } }).status.code === status) break
      }
      lags.push(performance.now() - acknowledged)
    }
  } finally {
    stream.close()
  }
  return lags.sort((a, b) => a - b)
}
