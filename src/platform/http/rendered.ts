import type { FastifyReply, FastifyRequest } from 'fastify'
import { pagination, type PageRequest } from './pagination.js'

// Replies whose JSON the read models rendered: they go out as text, past Fastify's serializer, wrapped in the
// success envelope (docs/api.md "Conventions") by concatenation.

const jsonType = 'application/json; charset=utf-8'

/** The envelope's `status` object, rendered once per route. */
export function renderedStatus(code: number, shortDescription: string): string {
  return JSON.stringify({ code, short_description: shortDescription })
}

/** `{"status": …, "data": …}` with `data` already JSON. */
export function sendRendered(reply: FastifyReply, status: string, data: string) {
  return reply.type(jsonType).send(`{"status":${status},"data":${data}}`)
}

/** A list reply with `data` already JSON: `pagination` too when a limit was given (pagination.ts). */
export function sendRenderedPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: string,
  page: PageRequest,
  result: { items: string; total: number },
) {
  if (page.limit === undefined) return sendRendered(reply, status, result.items)
  const links = JSON.stringify(pagination(request, { ...page, limit: page.limit }, result.total))
  return reply.type(jsonType).send(`{"status":${status},"data":${result.items},"pagination":${links}}`)
}
