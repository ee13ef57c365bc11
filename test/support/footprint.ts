import Database from 'better-sqlite3'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Service } from '../../src/app/service.js'

// Everything a request can leave behind: the log's head, the secret store's rows, the files in uploads/. A
// refused request must leave all three as they were.

export interface Footprint {
  head: number
  secrets: string[]
  uploads: string[]
}

export function footprintOf(service: Service, dataDir: string): Footprint {
  const db = new Database(join(dataDir, 'secrets.db'), { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT subject_id, kind, hex(sealed) AS sealed FROM secrets ORDER BY subject_id, kind').all() as Array<Record<string, string>>
    return {
      head: service.log.headPositionSync(),
      secrets: rows.map((row) => `${row.subject_id} ${row.kind} ${row.sealed}`),
      uploads: readdirSync(join(dataDir, 'uploads')).sort(),
    }
  } finally {
    db.close()
  }
}
