// The REST API, with the token kept in sessionStorage (this tab only, gone when it closes) and sent only in the
// Authorization header: never in a URL, a cookie or the page.

const tokenKey = 'lod-token'

export const session = {
  token: (): string | null => sessionStorage.getItem(tokenKey),
  keep: (token: string) => sessionStorage.setItem(tokenKey, token),
  forget: () => sessionStorage.removeItem(tokenKey),
}

/** An answer of the API's error envelope: every `detail`, a list flattened ("<field>: <message>" for a create). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly details: string[],
  ) {
    super(details.join(' ') || `HTTP ${status}`)
  }
}

export interface Reply<T> {
  status: { code: number; short_description: string } | number
  data: T
  pagination?: { count: number; next: string | null; previous: string | null }
}

export function authHeaders(token = session.token()): Record<string, string> {
  return token ? { authorization: `Token ${token}` } : {}
}

/** The details of an error envelope, or a plain line for anything else (a proxy's page, a network error). */
export function errorOf(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { errors?: { detail: string | string[] }[] }
    if (Array.isArray(body.errors)) return new ApiError(status, body.errors.flatMap((e) => e.detail))
  } catch {
    // not JSON: said below
  }
  return new ApiError(status, [`The service answered ${status}.`])
}

/** Listeners told when the API refuses the token (it expired, or was revoked): the console signs out. */
export const onUnauthorized: Array<(error: ApiError) => void> = []

export async function api<T>(method: string, path: string, body?: Record<string, unknown>, token = session.token()): Promise<Reply<T>> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...authHeaders(token), ...(body && { 'content-type': 'application/json' }) },
      ...(body && { body: JSON.stringify(body) }),
    })
  } catch {
    throw new ApiError(0, ['The service cannot be reached.'])
  }
  const text = await response.text()
  if (!response.ok) {
    const error = errorOf(response.status, text)
    if (response.status === 401 && token === session.token()) for (const listener of onUnauthorized) listener(error)
    throw error
  }
  return JSON.parse(text) as Reply<T>
}

/** The message of a successful command's reply (its short_description). */
export const messageOf = (reply: Reply<unknown>) => (typeof reply.status === 'object' ? reply.status.short_description : '')

export interface StatusView {
  code: string
  message: string
  detail: string
  failure_message?: string
}

export interface InstanceItem {
  id: string
  name: string
  status: StatusView
  running_app: boolean
}
