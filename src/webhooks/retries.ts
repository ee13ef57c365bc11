// When a delivery is tried again: a pure policy of the receiver's answer, the attempt's number and the time since
// the round's first attempt. Timeouts, connection errors, 408, 429 and 5xx are the receiver's passing trouble and
// are retried with growing delays, for `retryForMs` (24 h by default); any other answer that is not a 2xx is the
// receiver saying no, and ends the delivery at once. A redirect (3xx, never followed) is a no as well.

export interface RetrySchedule {
  /** The first retry's delay; the later ones are multiples of it (default 5 s: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h). */
  firstRetryMs: number
  /** How long after its first attempt a delivery is given up on (default 24 h). */
  retryForMs: number
}

export const defaultRetrySchedule: RetrySchedule = { firstRetryMs: 5_000, retryForMs: 24 * 60 * 60 * 1000 }

/** The delays after attempts 1, 2, …, as multiples of the first; the last repeats. */
const multiples = [1, 6, 24, 120, 360, 720, 2160]

/** What an attempt got: the receiver's status, or none (it did not answer), and its Retry-After header. */
export interface AttemptResult {
  httpStatus: number | null
  retryAfter?: string | undefined
}

export type Verdict = { end: 'delivered' } | { end: 'failed'; reason: string } | { retryInMs: number }

const retriedStatuses = new Set([408, 429])

/** The delay a Retry-After header asks for (seconds, or an HTTP date), if it is one. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Judges attempt number `attempt` of a round that began at `roundStartedAt` (this attempt's time for the first). */
export function judge(result: AttemptResult, attempt: number, roundStartedAt: number, now: number, schedule: RetrySchedule): Verdict {
  const status = result.httpStatus
  if (status !== null && status >= 200 && status < 300) return { end: 'delivered' }
  const retried = status === null || status >= 500 || retriedStatuses.has(status)
  if (!retried) return { end: 'failed', reason: `The receiver answered ${status}: not retried.` }
  const planned = schedule.firstRetryMs * multiples[Math.min(attempt, multiples.length) - 1]!
  const asked = status === 429 || status === 503 ? retryAfterMs(result.retryAfter, now) : undefined
  const delay = asked ?? planned
  const left = roundStartedAt + schedule.retryForMs - now
  // The last retry may come a little after the window's end; none is planned past it.
  if (left <= 0) return { end: 'failed', reason: `Still failing after ${attempt} attempts: given up.` }
  return { retryInMs: Math.min(delay, Math.max(left, schedule.firstRetryMs)) }
}
