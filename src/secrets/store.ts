import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

// Secrets that must never enter the event log: each instance's service-VM token and the cluster's generated
// SSH key, the owner's token an instance's or an application's jobs act with, and the webhooks' signing secrets.
// They are kept encrypted with AES-256-GCM under a key from configuration, each under its subject: the instance,
// the application or the webhook's generation it belongs to. Tokens are found by an HMAC of their value, so the stored rows alone do not let anyone test guesses.
//
// Where the sealed rows live is the backend's business (`SealedSecrets`): a SQLite file of this node
// (sqlite.ts), or a PostgreSQL table every node shares (postgres.ts). Both are asynchronous behind this store.

/** `owner-token`: the latest ~okeanos token of the subject's owner, which its jobs act with. `webhook-secret`: a webhook's
 *  signing secret, one per generation (the subject is `<webhook id>/<generation>`: a rotation makes the next). */
export type SecretKind = 'instance-token' | 'ssh-private-key' | 'ssh-public-key' | 'owner-token' | 'webhook-secret'

/** A sealed secret as stored: `lookup` is the HMAC of a service-VM token's value, null for the other kinds. */
export interface SealedSecret {
  subjectId: string
  kind: SecretKind
  lookup: string | null
  sealed: Buffer
}

/** Where the sealed secrets are kept, one row per subject and kind. */
export interface SealedSecrets {
  /** Stores the row unless one of its subject and kind exists already. */
  insert(secret: SealedSecret): Promise<void>
  /** Stores the row, replacing one of its subject and kind. */
  replace(secret: SealedSecret): Promise<void>
  sealed(subjectId: string, kind: SecretKind): Promise<Buffer | undefined>
  /** The subject of the service-VM token with this lookup. */
  subjectOfToken(lookup: string): Promise<string | undefined>
  close(): Promise<void>
}

export interface SecretStoreOptions {
  /** How many resolved service-VM tokens to remember (least recently used dropped first); default 10,000. A token
   *  not remembered is looked up again by its HMAC. */
  maxCachedTokens?: number
}

export class SecretStore {
  /** Service-VM token → instance id, least recently used first (a Map keeps insertion order). */
  private readonly tokenCache = new Map<string, string>()
  private readonly maxCachedTokens: number

  /** `key` is 32 bytes. */
  constructor(
    private readonly rows: SealedSecrets,
    private readonly key: Buffer,
    options: SecretStoreOptions = {},
  ) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
    this.maxCachedTokens = options.maxCachedTokens ?? 10_000
  }

  private lookup(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('base64')
  }

  private seal(plain: string): Buffer {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), body])
  }

  private open(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12))
    decipher.setAuthTag(sealed.subarray(12, 28))
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')
  }

  /** Stores a secret unless one of that kind exists already; answers the one stored (first writer wins, so a
   *  repeated provisioning step gets the same key or token back). */
  async put(subjectId: string, kind: SecretKind, value: string): Promise<string> {
    await this.rows.insert({ subjectId, kind, lookup: kind === 'instance-token' ? this.lookup(value) : null, sealed: this.seal(value) })
    return (await this.get(subjectId, kind))!
  }

  /** Stores a secret that is renewed over time (the owner's token), replacing the one stored. */
  replace(subjectId: string, kind: 'owner-token', value: string): Promise<void> {
    return this.rows.replace({ subjectId, kind, lookup: null, sealed: this.seal(value) })
  }

  async get(subjectId: string, kind: SecretKind): Promise<string | undefined> {
    const sealed = await this.rows.sealed(subjectId, kind)
    return sealed && this.open(sealed)
  }

  /** The token a service VM of this instance authenticates with; made on first use. */
  async instanceToken(instanceId: string): Promise<string> {
    return (await this.get(instanceId, 'instance-token')) ?? this.put(instanceId, 'instance-token', randomBytes(32).toString('base64url'))
  }

  /** The instance a service-VM token belongs to, if it is one. */
  async instanceForToken(token: string): Promise<string | undefined> {
    const cached = this.tokenCache.get(token)
    if (cached !== undefined) {
      this.tokenCache.delete(token)
      this.tokenCache.set(token, cached)
      return cached
    }
    const instanceId = await this.rows.subjectOfToken(this.lookup(token))
    if (instanceId !== undefined) this.remember(token, instanceId)
    return instanceId
  }

  /** How many resolved tokens are remembered (for tests). */
  get cachedTokens(): number {
    return this.tokenCache.size
  }

  private remember(token: string, instanceId: string): void {
    if (this.maxCachedTokens <= 0) return
    if (this.tokenCache.size >= this.maxCachedTokens) this.tokenCache.delete(this.tokenCache.keys().next().value!)
    this.tokenCache.set(token, instanceId)
  }

  close(): Promise<void> {
    return this.rows.close()
  }
}
