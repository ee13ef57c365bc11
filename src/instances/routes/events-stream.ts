import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { instanceOwner } from '../../audit/history.js'
import { instanceStream } from '../events.js'
import { messages as instanceMessages } from '../decider.js'
import type { RecordedEvent } from '../../platform/eventlog/port.js'
import { ownerOf } from '../../platform/http/auth.js'
import { HttpError } from '../../platform/http/envelope.js'
import { instanceIdParam } from './params.js'
import { authErrors, errors } from '../../platform/http/schemas.js'
import { StreamSlots, type StreamLimits } from '../../platform/http/stream-slots.js'
import type { InstanceServices } from '../services.js'
import { InstanceIdParams, instanceTags } from './schemas.js'
import { ownerEventRoute } from './owner-events-stream.js'
import { isDestroyed, openEventResponse, statusChange, statusEventText, type StatusChange } from './sse.js'

// GET /api/lambda-instances/{id}/events: the instance's status as Server-Sent Events, so that clients stop
// polling. The current status comes first, then every change as it is committed; the stream ends after
// DESTROYED. Each event's id is its log position: a client that reconnects with Last-Event-ID gets the changes
// it missed instead of the current status. Comment lines every few seconds keep proxies from closing an
// idle stream. The streams open at once are limited, per owner and in all (stream-slots.ts).

const docs = {
  summary: 'Watch a lambda instance\'s status (Server-Sent Events)',
  description:
    'A `text/event-stream` of `status` events, data `{"id", "status": {code, message, detail[, failure_message]}, ' +
    '"event", "time"}`, id = log position: the current status first (or, with `Last-Event-ID`, the changes after ' +
    'it), then every change; ends after DESTROYED. Comment lines are sent as heartbeats.',
  tags: instanceTags,
  params: InstanceIdParams,
  response: {
    200: {
      description: 'The stream of status events.',
      content: { 'text/event-stream': { schema: Type.String({ description: 'event: status / id: <position> / data: {…}' }) } },
    },
    ...authErrors(404, 429),
    503: {
      ...errors(503)[503],
      description: '~okeanos identity service unavailable, or too many streams open on the server (see `Retry-After`).',
    },
  },
}

export async function instanceEventRoutes(
  app: FastifyInstance,
  { services, heartbeatMs, limits }: { services: InstanceServices; heartbeatMs: number; limits: StreamLimits },
) {
  const slots = new StreamSlots(limits)
  const open = new Set<() => void>()
  // Open streams would hold the server open forever: closing the service ends them.
  app.addHook('preClose', async () => {
    for (const end of open) end()
  })
  // The owner-wide stream shares the limits: a stream is a socket and a subscription whichever it is.
  ownerEventRoute(app, { services, heartbeatMs, slots, open })

  app.get('/api/lambda-instances/:id/events', { onRequest: app.requireOwner, config: { docs } }, async (request, reply) => {
    const id = instanceIdParam(request)
    const stream = instanceStream(id)
    const head = await services.log.headPosition()
    const release = slots.take(ownerOf(request).id)
    // Listen before reading, so that nothing committed in between is missed; what the read saw is skipped below.
    let queued: RecordedEvent[] | undefined = []
    let forward: (change: StatusChange) => void = () => {}
    const subscription = services.log.subscribe(head, (events) => {
      for (const event of events) {
        if (event.stream !== stream) continue
        if (queued) queued.push(event)
        else {
          const change = statusChange(event)
          if (change) forward(change)
        }
      }
    })
    let events: RecordedEvent[]
    try {
      events = await services.log.readStream(stream)
      if (instanceOwner(events) !== ownerOf(request).id) throw new HttpError(404, instanceMessages.notFound)
    } catch (error) {
      subscription.close()
      release()
      throw error
    }

    const response = openEventResponse(request, reply, {
      heartbeatMs,
      open,
      cleanup: () => {
        subscription.close()
        release()
      },
    })
    if (!response) return
    const send = (change: StatusChange) => {
      response.write(statusEventText(change))
      if (isDestroyed(change)) response.end()
    }

    const changes = events.map(statusChange).filter((change) => change !== undefined)
    const lastSeen = Number(request.headers['last-event-id'])
    const current = changes[changes.length - 1]
    if (Number.isSafeInteger(lastSeen) && lastSeen > 0) changes.filter((change) => change.position > lastSeen).forEach(send)
    else if (current) send(current)
    // A client that had already seen the end is told nothing new, and the stream ends all the same.
    if (current && isDestroyed(current)) response.end()

    // From here on, what the read did not see, as it is committed.
    const readUpTo = events[events.length - 1]?.position ?? 0
    forward = (change) => {
      if (change.position > readUpTo) send(change)
    }
    const backlog = queued
    queued = undefined
    for (const event of backlog) {
      const change = statusChange(event)
      if (change) forward(change)
    }
  })
}

export const instanceEventsDocs = docs
