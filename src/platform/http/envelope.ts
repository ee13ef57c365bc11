import type { FastifyRequest } from 'fastify'

// The reply shapes of the original API (docs/api.md "Conventions").

export interface ErrorItem {
  status: number
  detail: string | string[]
}

/** An error that is the client's to fix (or a documented refusal): rendered as `{"errors": [...]}`. */
export class HttpError extends Error {
  readonly errors: ErrorItem[]
  constructor(
    readonly statusCode: number,
    detail: string | ErrorItem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail))
    this.name = 'HttpError'
    this.errors = typeof detail === 'string' ? [{ status: statusCode, detail }] : detail
  }
}

export function success<T>(code: number, shortDescription: string, data?: T) {
  return data === undefined
    ? { status: { code, short_description: shortDescription } }
    : { status: { code, short_description: shortDescription }, data }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return uuidPattern.test(value)
}
