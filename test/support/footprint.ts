import Database from 'better-sqlite3'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Service } from '../../src/app/service.js'
import { queryPostgres } from './postgres.js'

// Everything a request can leave behind: the log's head, the secret store's rows, the files in uploads/. A
// refused request must leave all three as they were.

export interface Footprint {
  head: number
  secrets: string[]
  uploads: string[]
}

const secretRows = 'SELECT subject_id, kind, sealed FROM secrets ORDER BY subject_id, kind'

/** `databaseUrl`: the service keeps its secrets in PostgreSQL there, not in the data directory's file. */
export async function footprintOf(service: Service, dataDir: string, databaseUrl?: string): Promise<Footprint> {
  const rows = databaseUrl === undefined ? secretsInFile(dataDir) : await queryPostgres<SecretRow>(databaseUrl, secretRows)
  return {
    head: await service.log.headPosition(),
    secrets: rows.map((row) => `${row.subject_id} ${row.kind} ${row.sealed.toString('hex').toUpperCase()}`),
    uploads: readdirSync(join(dataDir, 'uploads')).sort(),
  }
}

interface SecretRow {
  subject_id: string
  kind: string
  sealed: Buffer
}

function secretsInFile(dataDir: string): SecretRow[] {
  const db = new Database(join(dataDir, 'secrets.db'), { readonly: true, fileMustExist: true })
  try {
    return db.prepare(secretRows).all() as SecretRow[]
  } finally {
    db.close()
  }
}
