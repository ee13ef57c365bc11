import { hash } from 'node:crypto'

// Validates users' ~okeanos tokens against Astakos, remembering answers briefly. Tokens are kept only as
// hashes here; concurrent validations of one token share one call to Astakos.

export interface Owner {
  /** The Astakos user uuid: the owner of everything the user creates. */
  id: string
  name: string
}

/** Resolves a token to its user, or to null when ~okeanos says the token is not valid (401). Any other failure
 *  throws: it says nothing about the token, so it is neither cached nor reported as a 401. */
export type TokenCheck = (token: string) => Promise<Owner | null>

export interface OwnerTokenCacheOptions {
  validTtlMs: number
  invalidTtlMs: number
  /** How many accepted tokens to remember; default 10,000. */
  maxEntries?: number
  /** How many refused tokens to remember, apart from the accepted ones; default 10,000. */
  maxRefusedEntries?: number
  now?: () => number
}

// One-shot hash(): half the cost of a createHash() object, and every request pays it.
const keyOf = (token: string) => hash('sha256', token, 'base64')

type Answer = { owner: Owner | null; expires: number }

/** A map that forgets its oldest entry once full. */
class BoundedCache {
  private readonly entries = new Map<string, Answer>()
  constructor(private readonly maxEntries: number) {}

  get(key: string): Answer | undefined {
    return this.entries.get(key)
  }

  set(key: string, answer: Answer): void {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, answer)
  }

  delete(key: string): void {
    this.entries.delete(key)
  }
}

export class OwnerTokenValidator {
  // Refusals are remembered apart from acceptances: a flood of invalid tokens fills only its own cache and never
  // evicts the valid tokens of the users who are working.
  private readonly accepted: BoundedCache
  private readonly refused: BoundedCache
  private readonly inflight = new Map<string, Promise<Owner | null>>()
  private readonly now: () => number

  constructor(
    private readonly check: TokenCheck,
    private readonly options: OwnerTokenCacheOptions,
  ) {
    this.now = options.now ?? Date.now
    this.accepted = new BoundedCache(options.maxEntries ?? 10_000)
    this.refused = new BoundedCache(options.maxRefusedEntries ?? 10_000)
  }

  private cached(key: string): Answer | undefined {
    const answer = this.accepted.get(key) ?? this.refused.get(key)
    return answer && answer.expires > this.now() ? answer : undefined
  }

  /** The remembered answer for a token, if there is a fresh one: lets a request skip a turn of the event loop. */
  peek(token: string): Owner | null | undefined {
    return this.cached(keyOf(token))?.owner
  }

  async validate(token: string): Promise<Owner | null> {
    const key = keyOf(token)
    const cached = this.cached(key)
    if (cached) return cached.owner
    const running = this.inflight.get(key)
    if (running) return running
    const call = this.check(token)
      .then((owner) => {
        this.remember(key, owner)
        return owner
      })
      .finally(() => this.inflight.delete(key))
    this.inflight.set(key, call)
    return call
  }

  private remember(key: string, owner: Owner | null): void {
    const ttl = owner ? this.options.validTtlMs : this.options.invalidTtlMs
    // An answer replaces the other kind: a token may become valid again, or be revoked.
    ;(owner ? this.refused : this.accepted).delete(key)
    if (ttl > 0) (owner ? this.accepted : this.refused).set(key, { owner, expires: this.now() + ttl })
  }
}
