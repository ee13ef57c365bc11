import type { FastifyRequest } from 'fastify'
import { HttpError } from './envelope.js'

// limit/offset exactly as the original (docs/original.md "Pagination"): no limit, no pagination; a limit must be an integer
// >= 0; a bad offset counts as 0; next/previous follow Django REST framework's LimitOffsetPagination.

export const limitMessage = 'limit value should be an integer greater or equal to zero.'
/** The status family (the original's central service) capitalises it. */
export const limitMessageCapitalised = 'Limit value should be an integer greater or equal to zero.'

export interface PageRequest {
  limit: number | undefined
  offset: number
}

export function pageRequest(query: unknown, message = limitMessage): PageRequest {
  const q = (query ?? {}) as Record<string, unknown>
  const rawLimit = q.limit
  let limit: number | undefined
  if (rawLimit !== undefined) {
    if (typeof rawLimit !== 'string' || !/^\d+$/.test(rawLimit.trim())) throw new HttpError(400, message)
    limit = Number.parseInt(rawLimit, 10)
    if (!Number.isSafeInteger(limit)) throw new HttpError(400, message)
  }
  const rawOffset = typeof q.offset === 'string' && /^-?\d+$/.test(q.offset.trim()) ? Number.parseInt(q.offset, 10) : 0
  const offset = Number.isSafeInteger(rawOffset) && rawOffset > 0 ? rawOffset : 0
  return { limit, offset }
}

function pageUrl(request: FastifyRequest, limit: number, offset: number | null): string {
  const query = request.url.indexOf('?')
  const params = new URLSearchParams(query === -1 ? '' : request.url.slice(query + 1))
  params.set('limit', String(limit))
  if (offset === null) params.delete('offset')
  else params.set('offset', String(offset))
  return request.linkTo(`${query === -1 ? request.url : request.url.slice(0, query)}?${params}`)
}

export interface Pagination {
  count: number
  next: string | null
  previous: string | null
}

export function pagination(request: FastifyRequest, page: PageRequest & { limit: number }, count: number): Pagination {
  const { limit, offset } = page
  const next = limit > 0 && offset + limit < count ? pageUrl(request, limit, offset + limit) : null
  const previous = offset <= 0 ? null : offset - limit <= 0 ? pageUrl(request, limit, null) : pageUrl(request, limit, offset - limit)
  return { count, next, previous }
}

/** The list reply: `data` alone without a limit, with `pagination` when one was given. */
export function paged<T>(
  request: FastifyRequest,
  page: PageRequest,
  result: { items: T[]; total: number },
  status: { code: number; short_description: string },
) {
  if (page.limit === undefined) return { status, data: result.items }
  return { status, data: result.items, pagination: pagination(request, { ...page, limit: page.limit }, result.total) }
}
