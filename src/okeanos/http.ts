/**
 * Thin fetch wrapper shared by every ~okeanos service client.
 *
 * - X-Auth-Token on every call, JSON in and out.
 * - A timeout on every call (AbortSignal.timeout), so a hung ~okeanos never hangs a reactor.
 * - Retries with exponential backoff only for calls that are safe to repeat
 *   (GET/HEAD, and DELETEs whose "already gone" answer counts as success): on
 *   5xx, timeouts and connection errors. POSTs that create things are never
 *   retried here; the reactors make them idempotent by looking up by name first.
 * - Fault bodies become OkeanosError with the exact ~okeanos message and details.
 */
import { OkeanosError, faultError, transportError } from './errors.js'
import { streamOnce, type StreamOptions, type StreamResponse } from './http-stream.js'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'

export interface HttpOptions {
  /** The user's ~okeanos token; sent as X-Auth-Token. */
  token?: string | undefined
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number | undefined
  /** Extra attempts for retryable calls. Default 3. */
  retries?: number | undefined
  /** First backoff delay; doubled each retry, capped by maxBackoffMs. Default 200 ms. */
  backoffMs?: number | undefined
  maxBackoffMs?: number | undefined
  /** Injected fetch (tests). */
  fetch?: typeof fetch | undefined
}

export interface RequestOptions {
  body?: unknown
  query?: Record<string, string | number | boolean | undefined> | undefined
  /** Retry on transient failure. Defaults to true for GET/HEAD, false otherwise. */
  retry?: boolean | undefined
  /**
   * For retried DELETEs: an error that, on a *repeated* attempt, means the
   * first attempt already did the job (e.g. 404, or 400 "has been deleted").
   */
  goneOnRetry?: ((err: OkeanosError) => boolean) | undefined
  /** Success statuses; anything else is an error even if 2xx. */
  expect?: number[] | undefined
  /** Overrides the client's per-attempt timeout. */
  timeoutMs?: number | undefined
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export class OkeanosHttp {
  // A true private field: never shows up in console.log/util.inspect/JSON of a client.
  readonly #token: string | undefined
  readonly timeoutMs: number
  readonly retries: number
  readonly backoffMs: number
  readonly maxBackoffMs: number
  private readonly fetchImpl: typeof fetch

  constructor(opts: HttpOptions = {}) {
    this.#token = opts.token
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.retries = opts.retries ?? 3
    this.backoffMs = opts.backoffMs ?? 200
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000
    this.fetchImpl = opts.fetch ?? fetch
  }

  /** A client for the same token with other settings (e.g. a longer timeout for one slow call). */
  with(opts: Omit<HttpOptions, 'token'>): OkeanosHttp {
    return new OkeanosHttp({
      token: this.#token,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      retries: opts.retries ?? this.retries,
      backoffMs: opts.backoffMs ?? this.backoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? this.maxBackoffMs,
      fetch: opts.fetch ?? this.fetchImpl,
    })
  }

  /**
   * A call whose request and/or response body is a stream (Pithos objects too large for memory), over
   * node:http(s). Same token and fault handling; the timeout is an inactivity timeout, so a long
   * transfer that keeps moving is never cut. Retried like `send` only when there is no body to send
   * (a stream cannot be replayed), and only until the response starts.
   */
  async stream(method: 'GET' | 'PUT', url: string, opts: StreamOptions = {}): Promise<StreamResponse> {
    const headers: Record<string, string> = { ...opts.headers }
    if (this.#token !== undefined) headers['x-auth-token'] = this.#token
    const attempts = opts.body === undefined ? this.retries + 1 : 1
    let lastError: OkeanosError | undefined
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(this.backoffMs * 2 ** (attempt - 1), this.maxBackoffMs))
      try {
        return await streamOnce(method, url, { ...opts, headers, timeoutMs: opts.timeoutMs ?? this.timeoutMs })
      } catch (err) {
        if (!(err instanceof OkeanosError) || !err.transient) throw err
        lastError = err
      }
    }
    throw lastError as OkeanosError
  }

  /** A JSON call: the body (if any) is sent as JSON and the answer parsed as JSON (undefined when empty). */
  async request<T>(method: HttpMethod, url: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, url, opts)
    if (res === undefined || res.body.length === 0) return undefined as T
    try {
      return JSON.parse(res.body.toString('utf8')) as T
    } catch {
      throw new OkeanosError(res.status, 'badResponse', 'Could not decode ~okeanos response as JSON', res.body.toString('utf8', 0, 200), `${method} ${url}`)
    }
  }

  /**
   * The raw call behind `request`, for non-JSON payloads (Pithos objects): same
   * token, timeout, retry and fault handling. Undefined when a retried call was "gone".
   */
  async send(method: HttpMethod, url: string, opts: RequestOptions & RawOptions = {}): Promise<RawResponse | undefined> {
    const retry = opts.retry ?? (method === 'GET' || method === 'HEAD')
    const attempts = retry ? this.retries + 1 : 1
    let lastError: OkeanosError | undefined
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(this.backoffMs * 2 ** (attempt - 1), this.maxBackoffMs))
      try {
        return await this.once(method, url, opts)
      } catch (err) {
        if (!(err instanceof OkeanosError)) throw err
        if (attempt > 0 && opts.goneOnRetry?.(err)) return undefined
        if (!err.transient) throw err
        lastError = err
      }
    }
    throw lastError as OkeanosError
  }

  private async once(method: HttpMethod, url: string, opts: RequestOptions & RawOptions): Promise<RawResponse> {
    const target = withQuery(url, opts.query)
    const label = `${method} ${stripQuery(target)}`
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
    if (this.#token !== undefined) headers['x-auth-token'] = this.#token
    let body: BodyInit | null = null
    if (opts.rawBody !== undefined) {
      // fetch accepts any byte view; TS 5.9's lib only types ArrayBuffer-backed ones.
      body = opts.rawBody as Uint8Array<ArrayBuffer>
      headers['content-type'] ??= 'application/octet-stream'
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body)
      headers['content-type'] = 'application/json'
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs
    let res: Response
    let bytes: Buffer
    try {
      res = await this.fetchImpl(target, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
      bytes = Buffer.from(await res.arrayBuffer())
    } catch (err) {
      throw transportError(err, label, timeoutMs)
    }
    const ok = opts.expect ? opts.expect.includes(res.status) : res.status >= 200 && res.status < 300
    if (!ok) throw faultError(res.status, res.statusText, bytes.toString('utf8'), label)
    return { status: res.status, headers: res.headers, body: bytes }
  }
}

export interface RawOptions {
  /** Sent as is (default content-type application/octet-stream). */
  rawBody?: Uint8Array | undefined
  headers?: Record<string, string> | undefined
}

export interface RawResponse {
  status: number
  headers: Headers
  body: Buffer
}

function withQuery(url: string, query: RequestOptions['query']): string {
  if (!query) return url
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v))
  const qs = params.toString()
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url
}

function stripQuery(url: string): string {
  const i = url.indexOf('?')
  return i < 0 ? url : url.slice(0, i)
}

/** Join a base URL (from the catalog) and a path without doubling slashes. */
export function joinUrl(base: string, ...parts: (string | number)[]): string {
  let url = base.replace(/\/+$/, '')
  for (const p of parts) url += '/' + encodeURIComponent(String(p)).replace(/%2F/gi, '/')
  return url
}
