/**
 * The one error type of the ~okeanos client.
 *
 * Synnefo answers every failure with `{"<faultName>": {code, message, details}}`
 * (synnefo.md §0). We keep the three parts apart so callers can branch on the
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
