import Database from 'better-sqlite3'
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

// Secrets that must never enter the event log: each instance's service-VM token and the cluster's generated
// SSH key, and the owner's token an instance's or an application's jobs act with. They live in their own SQLite
// file, encrypted with AES-256-GCM under a key from configuration, each under its subject: the instance or the
// application it belongs to. Tokens are found by an HMAC of their value, so the file alone does not let anyone
// test guesses.

/** `owner-token`: the latest ~okeanos token of the subject's owner, which its jobs act with. */
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
    byLookup: Database.Statement<[string], { subject_id: string }>
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
    migrate(this.db)
    this.stmt = {
      put: this.db.prepare(
        'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (subject_id, kind) DO NOTHING',
      ),
      replace: this.db.prepare(
        'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES (?, ?, NULL, ?) ON CONFLICT (subject_id, kind) DO UPDATE SET sealed = excluded.sealed',
      ),
      get: this.db.prepare('SELECT sealed FROM secrets WHERE subject_id = ? AND kind = ?'),
      byLookup: this.db.prepare("SELECT subject_id FROM secrets WHERE lookup = ? AND kind = 'instance-token'"),
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
  put(subjectId: string, kind: SecretKind, value: string): string {
    this.stmt.put.run(subjectId, kind, kind === 'instance-token' ? this.lookup(value) : null, this.seal(value))
    return this.get(subjectId, kind)!
  }

  /** Stores a secret that is renewed over time (the owner's token), replacing the one stored. */
  replace(subjectId: string, kind: 'owner-token', value: string): void {
    this.stmt.replace.run(subjectId, kind, this.seal(value))
  }

  get(subjectId: string, kind: SecretKind): string | undefined {
    const row = this.stmt.get.get(subjectId, kind)
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
    if (row) this.remember(token, row.subject_id)
    return row?.subject_id
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

/** The file's layout, by PRAGMA user_version: each step takes a file from its index to the next. Version 0 is
 *  the first layout, whose column `instance_id` held application ids too. */
const migrations = ['ALTER TABLE secrets RENAME COLUMN instance_id TO subject_id']

const currentLayout = `CREATE TABLE secrets (
  subject_id TEXT NOT NULL,
  kind       TEXT NOT NULL,
  lookup     TEXT UNIQUE,
  sealed     BLOB NOT NULL,
  PRIMARY KEY (subject_id, kind)
) WITHOUT ROWID`

/** A new file gets the current layout; an older one is brought to it, in one transaction. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > migrations.length) throw new Error(`the secret store's file is of a newer version (${version}) than this service knows`)
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'secrets'").get() !== undefined
    if (!exists) db.exec(currentLayout)
    else for (const step of migrations.slice(version)) db.exec(step)
    db.pragma(`user_version = ${migrations.length}`)
  }).immediate()
}
