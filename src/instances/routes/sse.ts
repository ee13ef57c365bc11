import type { FastifyReply, FastifyRequest } from 'fastify'
import { type InstanceEvent } from '../events.js'
import { statusAfter } from '../status-after.js'
import { InstanceStatus, instanceStatusView, type InstanceStatusCode } from '../statuses.js'
import type { RecordedEvent } from '../../platform/eventlog/port.js'
import { streamId } from '../../platform/streams.js'

// What the two status streams share (events-stream.ts: one instance; owner-events-stream.ts: all of an owner's):
// the status change an event makes, its `event: status` block, and the response that carries them.

export interface StatusChange {
  id: string
  position: number
  time: string
  event: string
  status: InstanceStatusCode
  failureMessage: string
}

/** The status `recorded` (an event of an instance stream) leaves its instance in, if it sets one. */
export function statusChange(recorded: RecordedEvent): StatusChange | undefined {
  const next = statusAfter({ type: recorded.type, data: recorded.data } as InstanceEvent)
  return next
    ? {
        id: streamId(recorded.stream),
        position: recorded.position,
        time: recorded.time,
        event: recorded.type,
        status: next.status,
        failureMessage: next.failureMessage,
      }
    : undefined
}

export const isDestroyed = (change: StatusChange) => change.status === InstanceStatus.DESTROYED

/** One Server-Sent Event: `event: status`, its log position as id, the data the docs describe. */
export function statusEventText(change: StatusChange): string {
  const data = { id: change.id, status: instanceStatusView(change.status, change.failureMessage), event: change.event, time: change.time }
  return `event: status\nid: ${change.position}\ndata: ${JSON.stringify(data)}\n\n`
}

export interface EventResponse {
  write(text: string): void
  end(): void
}

/** Takes the response over as a `text/event-stream` with heartbeats; `cleanup` runs once, however it ends (the
 *  client leaves, the server closes, `end()`). `open` holds the streams' ends for the server's close. */
export function openEventResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  { heartbeatMs, open, cleanup }: { heartbeatMs: number; open: Set<() => void>; cleanup(): void },
): EventResponse | undefined {
  const res = reply.hijack().raw
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  })
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs)
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    clearInterval(heartbeat)
    cleanup()
    open.delete(end)
    if (!res.writableEnded) res.end()
  }
  open.add(end)
  res.on('close', end)
  // A client that left while the stream was being prepared has closed the response already: nothing will say so again.
  if (res.destroyed) {
    end()
    return undefined
  }
  res.write('retry: 3000\n\n')
  return {
    write: (text) => {
      if (!res.writableEnded) res.write(text)
    },
    end,
  }
}
