import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { IdempotencyKeyReusedError, type EventLog, type IdempotencyRecord } from '../eventlog/port.js'
import { HttpError } from './envelope.js'
import { positionHeader } from './read-your-writes.js'

// `Idempotency-Key` on POST and DELETE: the first answer is stored in the same transaction as the events it
// appended, so a retry with the same key and body gets that answer again and appends nothing, even after a
// crash between the commit and the reply. The same key with another request is refused.
//
// The stored answer is looked up before the command is even prepared: a retry must not be judged by rules that
// depend on what its first attempt changed (a retried upload is not a "duplicate name"), and must not repeat any
// of the first attempt's side effects.
//
// A reply may carry what must not be stored with the log (a webhook's signing secret): the record keeps the reply
// without it, and `reveal` adds it to the reply sent, the first one and the replays alike, from where it is kept.
//
// A reply that appended events says where the last of them is in the log (`LoD-Position`, read-your-writes.ts);
// a replayed one says the log's head, which is at least as far.

const keyPattern = /^[\x21-\x7e]{1,255}$/

export const reusedKeyMessage = 'Idempotency-Key has already been used for a different request.'

export interface IdempotentCommand {
  statusCode: number
  body: unknown
  /** Appends the command's events, storing `record` (when given) with them; resolves to the log position of the
   *  last event appended, 0 when there was nothing to append. */
  execute(record: IdempotencyRecord | undefined): Promise<number>
}

function scopeOf(request: FastifyRequest): string {
  const actor = request.actor
  if (!actor) throw new Error('idempotency needs an authenticated request')
  return actor.kind === 'user' ? `user:${actor.owner}` : actor.kind === 'service-vm' ? `vm:${actor.instanceId}` : actor.name
}

function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
    .digest('base64')
}

/** Completes a stored reply with what is not stored (a secret), before it is sent. */
export type Reveal = (body: unknown) => Promise<unknown>

/** Sends the stored answer to this key, if there is one; says whether it did. */
async function replayed(log: EventLog, request: FastifyRequest, reply: FastifyReply, scope: string, key: string, reveal?: Reveal): Promise<boolean> {
  const stored = await log.findIdempotency(scope, key)
  if (!stored) return false
  if (stored.fingerprint !== fingerprint(request)) throw new HttpError(422, reusedKeyMessage)
  withPosition(reply, await log.headPosition())
  const body = reveal ? JSON.stringify(await reveal(JSON.parse(stored.body))) : stored.body
  reply.code(stored.statusCode).header('idempotent-replayed', 'true').type('application/json').send(body)
  return true
}

function withPosition(reply: FastifyReply, position: number): FastifyReply {
  return position > 0 ? reply.header(positionHeader, String(position)) : reply
}

/**
 * Answers a command request: the stored answer when its Idempotency-Key was seen, else what `prepare` decides
 * (it validates and may refuse by throwing), once its events are committed.
 */
export async function idempotent(
  log: EventLog,
  request: FastifyRequest,
  reply: FastifyReply,
  prepare: () => IdempotentCommand | Promise<IdempotentCommand>,
  reveal?: Reveal,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key']
  if (header === undefined) {
    const command = await prepare()
    const position = await command.execute(undefined)
    return withPosition(reply, position).code(command.statusCode).send(reveal ? await reveal(command.body) : command.body)
  }
  if (typeof header !== 'string' || !keyPattern.test(header))
    throw new HttpError(400, 'Idempotency-Key must be 1 to 255 printable ASCII characters.')
  const scope = scopeOf(request)
  if (await replayed(log, request, reply, scope, header, reveal)) return reply
  const command = await prepare()
  const body = JSON.stringify(command.body)
  let position: number
  try {
    position = await command.execute({ scope, key: header, fingerprint: fingerprint(request), statusCode: command.statusCode, body })
  } catch (error) {
    // A concurrent request with the same key committed first: answer as it did.
    if (error instanceof IdempotencyKeyReusedError && (await replayed(log, request, reply, scope, header, reveal))) return reply
    throw error
  }
  const sent = reveal ? JSON.stringify(await reveal(command.body)) : body
  return withPosition(reply, position).code(command.statusCode).type('application/json').send(sent)
}
