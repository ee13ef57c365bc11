import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { instanceOwner } from '../../audit/history.js'
import { instanceCategory } from '../events.js'
import type { EventLog, RecordedEvent } from '../../platform/eventlog/port.js'
import { ownerOf } from '../../platform/http/auth.js'
import { authErrors, errors } from '../../platform/http/schemas.js'
import { inCategory } from '../../platform/streams.js'
import type { StreamSlots } from '../../platform/http/stream-slots.js'
import type { InstanceServices } from '../services.js'
import { instanceTags } from './schemas.js'
import { openEventResponse, statusChange, statusEventText } from './sse.js'

// GET /api/lambda-instances/events: the status changes of all the owner's instances, those created after the
// stream opened too, as Server-Sent Events, so that a list (the web console's) stays live on one connection
// instead of one per instance. It reads the log on purpose, as the per-instance stream does: it says what is
// committed, as it is, even while the read models catch up. It starts at the log's head (a client reads the list
// once its stream is open), or, with a recent Last-Event-ID, after it; another owner's instances are never sent.

/** How far back a Last-Event-ID may ask for: older, the client is better served by the list it reads again. */
const maxReplay = 10_000
/** Owners of instance streams remembered across the streams: an owner never changes, but memory is bounded. */
const maxKnownOwners = 10_000

const docs = {
  summary: 'Watch the status of all your lambda instances (Server-Sent Events)',
  description:
    'A `text/event-stream` of `status` events, one per status change of any of your instances (those created after ' +
    'the stream opened too), data `{"id", "status": {code, message, detail[, failure_message]}, "event", "time"}` as ' +
    'on `/api/lambda-instances/{id}/events`, id = log position. Starts at the changes committed after it opened ' +
    '(read the list once it has), or after a `Last-Event-ID` at most 10000 positions old. Never ends by itself; ' +
    'comment lines are sent as heartbeats. Counts against the same stream limits as the per-instance streams.',
  tags: instanceTags,
  response: {
    200: {
      description: 'The stream of status events.',
      content: { 'text/event-stream': { schema: Type.String({ description: 'event: status / id: <position> / data: {…}' }) } },
    },
    ...authErrors(429),
    503: {
      ...errors(503)[503],
      description: '~okeanos identity service unavailable, or too many streams open on the server (see `Retry-After`).',
    },
  },
}

/** The owner of each instance stream, from its first event: seen in the commit that creates it, or read once. */
function instanceOwners(log: EventLog) {
  const known = new Map<string, string | undefined>()
  const remember = (stream: string, owner: string | undefined) => {
    if (known.size >= maxKnownOwners) known.delete(known.keys().next().value!)
    known.set(stream, owner)
    return owner
  }
  return async (event: RecordedEvent): Promise<string | undefined> => {
    if (known.has(event.stream)) return known.get(event.stream)
    if (event.version === 0) return remember(event.stream, instanceOwner([event]))
    return remember(event.stream, instanceOwner(await log.readStream(event.stream)))
  }
}

export function ownerEventRoute(
  app: FastifyInstance,
  { services, heartbeatMs, slots, open }: { services: InstanceServices; heartbeatMs: number; slots: StreamSlots; open: Set<() => void> },
) {
  const ownerOfStream = instanceOwners(services.log)

  app.get('/api/lambda-instances/events', { onRequest: app.requireOwner, config: { docs } }, async (request, reply) => {
    const owner = ownerOf(request).id
    const head = await services.log.headPosition()
    const lastSeen = Number(request.headers['last-event-id'])
    const from = Number.isSafeInteger(lastSeen) && lastSeen > 0 && lastSeen <= head && head - lastSeen <= maxReplay ? lastSeen : head
    const release = slots.take(owner)
    // Commits arrive in order; finding an owner may read a stream: each batch waits for the one before.
    let done = Promise.resolve()
    let closed = false
    const subscription = services.log.subscribe(from, (events) => {
      const mine = events.filter((event) => inCategory(event.stream, instanceCategory))
      if (mine.length === 0) return
      done = done.then(async () => {
        for (const event of mine) {
          const change = statusChange(event)
          if (!change || closed) continue
          if ((await ownerOfStream(event)) === owner) response?.write(statusEventText(change))
        }
      }).catch((error: unknown) => {
        request.log.error({ err: error }, 'owner event stream: reading an instance stream failed')
        response?.end()
      })
    })
    const response = openEventResponse(request, reply, {
      heartbeatMs,
      open,
      cleanup: () => {
        closed = true
        subscription.close()
        release()
      },
    })
  })
}
