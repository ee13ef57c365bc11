/** Poll-with-deadline shared by the wait helpers (kamaki's wait_server_while/until, with a real deadline). */
import { OkeanosError, WaitTimeoutError } from './errors.js'

export interface WaitOptions {
  /** Give up after this long (default 10 min, like LoD's longest wait). */
  timeoutMs?: number
  /** Time between polls (default 1 s, like kamaki). */
  intervalMs?: number
  signal?: AbortSignal
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/**
 * Call `read` until `done(value)` or the deadline. Transient errors (5xx,
 * timeouts) are tolerated until the deadline; other errors end the wait.
 * `status(value)` names the state for the timeout error.
 */
export async function pollUntil<T>(
  resource: string,
  id: string | number,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  status: (value: T) => string,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 600_000
  const intervalMs = opts.intervalMs ?? 1_000
  const start = Date.now()
  let last = ''
  for (;;) {
    try {
      const value = await read()
      last = status(value)
      if (done(value)) return value
    } catch (err) {
      if (!(err instanceof OkeanosError) || !err.transient) throw err
    }
    const left = timeoutMs - (Date.now() - start)
    if (left <= 0) throw new WaitTimeoutError(resource, id, last, Date.now() - start)
    await sleep(Math.min(intervalMs, left), opts.signal)
  }
}
