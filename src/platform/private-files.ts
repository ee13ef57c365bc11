import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs'

// The data directory holds the event log, the read models, the encrypted secrets and the uploaded jars: they are
// the service user's alone. SQLite gives a database's -wal and -shm files the mode of the database file, so
// making the file first is enough for all three.

/** Makes `path` a directory only its owner can enter (tightening one that exists). */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  chmodSync(path, 0o700)
}

/** Makes `path` a file only its owner can read (creating it empty, or tightening one that exists). */
export function privateFile(path: string): string {
  closeSync(openSync(path, 'a', 0o600))
  chmodSync(path, 0o600)
  return path
}
