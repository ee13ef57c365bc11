import Database from 'better-sqlite3'
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

// Secrets that must never enter the event log: each instance's service-VM token and the cluster's generated
// SSH key. They live in their own SQLite file, encrypted with AES-256-GCM under a key from configuration.
// Tokens are found by an HMAC of their value, so the file alone does not let anyone test guesses.

/** `owner-token`: the latest ~okeanos token of the instance's owner, which the reactors act with. */
export type SecretKind = 'instance-token' | 'ssh-private-key' | 'ssh-public-key' | 'owner-token'

export interface SecretStoreOptions {
  /** How many resolved service-VM tokens to remember (least recently used dropped first); default 10,000. A token
   *  not remembered is looked up again by its HMAC. */
  maxCachedTokens?: number
}

export class SecretStore {
  private readonly db: Database.Database
  /** Service-VM token → instance id, least recently used first (a Map keeps insertion order). */
  private readonly tokenCache = new Map<string, string>()
  private readonly maxCachedTokens: number
  private readonly stmt: {
    put: Database.Statement<[string, string, string | null, Buffer]>
    replace: Database.Statement<[string, string, Buffer]>
    get: Database.Statement<[string, string], { sealed: Buffer }>
    byLookup: Database.Statement<[string], { instance_id: string }>
  }

  /** `key` is 32 bytes. */
  constructor(
    path: string,
    private readonly key: Buffer,
    options: SecretStoreOptions = {},
  ) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
    this.maxCachedTokens = options.maxCachedTokens ?? 10_000
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.exec(`CREATE TABLE IF NOT EXISTS secrets (
      instance_id TEXT NOT NULL,
      kind        TEXT NOT NULL,
      lookup      TEXT UNIQUE,
      sealed      BLOB NOT NULL,
      PRIMARY KEY (instance_id, kind)
    ) WITHOUT ROWID`)
    this.stmt = {
      put: this.db.prepare(
        'INSERT INTO secrets (instance_id, kind, lookup, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (instance_id, kind) DO NOTHING',
      ),
      replace: this.db.prepare(
        'INSERT INTO secrets (instance_id, kind, lookup, sealed) VALUES (?, ?, NULL, ?) ON CONFLICT (instance_id, kind) DO UPDATE SET sealed = excluded.sealed',
      ),
      get: this.db.prepare('SELECT sealed FROM secrets WHERE instance_id = ? AND kind = ?'),
      byLookup: this.db.prepare("SELECT instance_id FROM secrets WHERE lookup = ? AND kind = 'instance-token'"),
    }
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
  put(instanceId: string, kind: SecretKind, value: string): string {
    this.stmt.put.run(instanceId, kind, kind === 'instance-token' ? this.lookup(value) : null, this.seal(value))
    return this.get(instanceId, kind)!
  }

  /** Stores a secret that is renewed over time (the owner's token), replacing the one stored. */
  replace(instanceId: string, kind: 'owner-token', value: string): void {
    this.stmt.replace.run(instanceId, kind, this.seal(value))
  }

  get(instanceId: string, kind: SecretKind): string | undefined {
    const row = this.stmt.get.get(instanceId, kind)
    return row && this.open(row.sealed)
  }

  /** The token a service VM of this instance authenticates with; made on first use. */
  instanceToken(instanceId: string): string {
    return this.get(instanceId, 'instance-token') ?? this.put(instanceId, 'instance-token', randomBytes(32).toString('base64url'))
  }

  /** The instance a service-VM token belongs to, if it is one. */
  instanceForToken(token: string): string | undefined {
    const cached = this.tokenCache.get(token)
    if (cached !== undefined) {
      this.tokenCache.delete(token)
      this.tokenCache.set(token, cached)
      return cached
    }
    const row = this.stmt.byLookup.get(this.lookup(token))
    if (row) this.remember(token, row.instance_id)
    return row?.instance_id
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

  close(): void {
    this.db.close()
  }
}
