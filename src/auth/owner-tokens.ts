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
  maxEntries?: number
  now?: () => number
}

// One-shot hash(): half the cost of a createHash() object, and every request pays it.
const keyOf = (token: string) => hash('sha256', token, 'base64')

export class OwnerTokenValidator {
  private readonly cache = new Map<string, { owner: Owner | null; expires: number }>()
  private readonly inflight = new Map<string, Promise<Owner | null>>()
  private readonly now: () => number
  private readonly maxEntries: number

  constructor(
    private readonly check: TokenCheck,
    private readonly options: OwnerTokenCacheOptions,
  ) {
    this.now = options.now ?? Date.now
    this.maxEntries = options.maxEntries ?? 10_000
  }

  /** The remembered answer for a token, if there is a fresh one: lets a request skip a turn of the event loop. */
  peek(token: string): Owner | null | undefined {
    const cached = this.cache.get(keyOf(token))
    return cached && cached.expires > this.now() ? cached.owner : undefined
  }

  async validate(token: string): Promise<Owner | null> {
    const key = keyOf(token)
    const cached = this.cache.get(key)
    if (cached && cached.expires > this.now()) return cached.owner
    const running = this.inflight.get(key)
    if (running) return running
    const call = this.check(token)
      .then((owner) => {
        const ttl = owner ? this.options.validTtlMs : this.options.invalidTtlMs
        this.remember(key, owner, ttl)
        return owner
      })
      .finally(() => this.inflight.delete(key))
    this.inflight.set(key, call)
    return call
  }

  private remember(key: string, owner: Owner | null, ttl: number): void {
    if (ttl <= 0) return
    this.cache.delete(key)
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(key, { owner, expires: this.now() + ttl })
  }
}
