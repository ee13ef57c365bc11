import Database from 'better-sqlite3'
import type { SealedSecret, SealedSecrets, SecretKind } from './store.js'

// The secret store's rows in a SQLite file of this node (secrets.db in the data directory). better-sqlite3 is
// synchronous: each call has written or read by the time it returns, and answers a settled promise.

export class SqliteSecrets implements SealedSecrets {
  private readonly db: Database.Database
  private readonly stmt: {
    insert: Database.Statement<[string, string, string | null, Buffer]>
    replace: Database.Statement<[string, string, string | null, Buffer]>
    sealed: Database.Statement<[string, string], { sealed: Buffer }>
    byLookup: Database.Statement<[string], { subject_id: string }>
  }

  /** Opens the file, creating it or bringing it to the current layout. */
  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    // A reactor process beside an API-only node on the same data directory writes to the file too.
    this.db.pragma('busy_timeout = 5000')
    migrate(this.db)
    this.stmt = {
      insert: this.db.prepare(
        'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (subject_id, kind) DO NOTHING',
      ),
      replace: this.db.prepare(
        'INSERT INTO secrets (subject_id, kind, lookup, sealed) VALUES (?, ?, ?, ?) ON CONFLICT (subject_id, kind) DO UPDATE SET sealed = excluded.sealed',
      ),
      sealed: this.db.prepare('SELECT sealed FROM secrets WHERE subject_id = ? AND kind = ?'),
      byLookup: this.db.prepare("SELECT subject_id FROM secrets WHERE lookup = ? AND kind = 'instance-token'"),
    }
  }

  async insert({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    this.stmt.insert.run(subjectId, kind, lookup, sealed)
  }

  async replace({ subjectId, kind, lookup, sealed }: SealedSecret): Promise<void> {
    this.stmt.replace.run(subjectId, kind, lookup, sealed)
  }

  async sealed(subjectId: string, kind: SecretKind): Promise<Buffer | undefined> {
    return this.stmt.sealed.get(subjectId, kind)?.sealed
  }

  async subjectOfToken(lookup: string): Promise<string | undefined> {
    return this.stmt.byLookup.get(lookup)?.subject_id
  }

  async close(): Promise<void> {
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
