/**
 * The one error type of the ~okeanos client.
 *
 * Synnefo answers every failure with `{"<faultName>": {code, message, details}}`
 * (Synnefo's fault format). We keep the three parts apart so callers can branch on the
 * HTTP status (the fault key is not reliable: Cyclades wraps Astakos 401s in a
 * generic "fault") and still record the exact ~okeanos text as failure_message.
 * Transport failures use status 0 and faultName 'timeout' | 'connection'.
 */
export class OkeanosError extends Error {
  readonly status: number
  readonly faultName: string
  readonly okeanosMessage: string
  readonly details: string
  /** Method and URL of the failed call, for diagnostics (never contains the token). */
  readonly request: string

  constructor(status: number, faultName: string, okeanosMessage: string, details = '', request = '') {
    super(okeanosMessage)
    this.name = 'OkeanosError'
    this.status = status
    this.faultName = faultName
    this.okeanosMessage = okeanosMessage
    this.details = details
    this.request = request
  }

  /** 5xx, timeouts and dropped connections: worth another try later. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500
  }
}

export function isOkeanosError(err: unknown): err is OkeanosError {
  return err instanceof OkeanosError
}

/** True for a 404 from ~okeanos (the resource is gone or never existed). */
export function isNotFound(err: unknown): boolean {
  return err instanceof OkeanosError && err.status === 404
}

/** True for a 413 overLimit (quota exhausted). */
export function isOverLimit(err: unknown): boolean {
  return err instanceof OkeanosError && err.status === 413
}

/** A wait helper ran past its deadline (e.g. a build stuck in BUILD). Not an HTTP failure. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly resource: string,
    readonly id: string | number,
    /** The last status seen, or '' if none was read. */
    readonly lastStatus: string,
    readonly waitedMs: number,
  ) {
    super(`${resource} ${id} still ${lastStatus || 'unknown'} after ${waitedMs} ms`)
    this.name = 'WaitTimeoutError'
  }
}

// ---------------------------------------------------------------- responses → OkeanosError

export function transportError(err: unknown, label: string, timeoutMs: number): OkeanosError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new OkeanosError(0, 'timeout', `~okeanos did not answer within ${timeoutMs} ms`, '', label)
  }
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)
  return new OkeanosError(0, 'connection', 'Could not connect to ~okeanos', detail, label)
}

/** Turn a non-success response into an OkeanosError, reading the Synnefo fault body if there is one. */
export function faultError(status: number, statusText: string, text: string, label: string): OkeanosError {
  const res = { status, statusText }
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const entries = Object.entries(parsed as Record<string, unknown>)
    const [name, fault] = entries[0] ?? []
    if (entries.length === 1 && name && fault && typeof fault === 'object') {
      const f = fault as { message?: unknown; details?: unknown }
      const message = typeof f.message === 'string' ? f.message : res.statusText
      const details = typeof f.details === 'string' ? f.details : f.details == null ? '' : JSON.stringify(f.details)
      return new OkeanosError(res.status, name, message, details, label)
    }
  }
  return new OkeanosError(res.status, 'httpError', res.statusText || `HTTP ${res.status}`, text.slice(0, 500), label)
}
