import { HttpError } from './envelope.js'

// How many Server-Sent Events streams may be open at once. A stream lasts as long as its client likes, holding
// a socket and a subscription to the log: unbounded, one owner (or all of them) could take every file
// descriptor of the process. Past an owner's share it is that owner's to close one (429); past the total it is
// the server that is full (503, and Retry-After).

export interface StreamLimits {
  perOwner: number
  total: number
}

/** Seconds a client is asked to wait when the server is full: about the time for some streams to end. */
const retryAfterSeconds = 10

export const streamMessages = {
  perOwner: (limit: number) => `You already have ${limit} event streams open, the most allowed; close one before opening another.`,
  total: 'Too many event streams are open on this server; try again later.',
} as const

export class StreamSlots {
  private open = 0
  private readonly byOwner = new Map<string, number>()

  constructor(private readonly limits: StreamLimits) {}

  /** A slot for one more stream of `owner`, or the HttpError that refuses it. The function returned frees the
   *  slot; a stream may end in several ways at once, so only its first call counts. */
  take(owner: string): () => void {
    const mine = this.byOwner.get(owner) ?? 0
    if (mine >= this.limits.perOwner) throw new HttpError(429, streamMessages.perOwner(this.limits.perOwner))
    if (this.open >= this.limits.total) throw new HttpError(503, streamMessages.total, { 'retry-after': String(retryAfterSeconds) })
    this.open++
    this.byOwner.set(owner, mine + 1)
    let freed = false
    return () => {
      if (freed) return
      freed = true
      this.open--
      const left = this.byOwner.get(owner)! - 1
      if (left === 0) this.byOwner.delete(owner)
      else this.byOwner.set(owner, left)
    }
  }
}
