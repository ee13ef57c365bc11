import { rebuildLive } from '../../projections/rebuild.js'
import { SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { domainEventVersions, readModels, registry } from '../app/stores.js'
import { dataDir } from './data-dir.js'
import { UsageError, type Io } from './io.js'
import { progressBar, rateLine } from './progress.js'
import { table } from './table.js'
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'

// `lod projections rebuild [name]`: rebuilds live read models from the log, blue/green, while the service runs
// (projections/rebuild.ts). `lod projections status`: where each read model stands against the log.

function selected(name: string | undefined) {
  if (name === undefined) return readModels
  const projection = readModels.find((p) => p.name === name)
  if (!projection) throw new UsageError(`No read model named '${name}'; there are: ${readModels.map((p) => p.name).join(', ')}.`)
  return [projection]
}

export async function rebuild(io: Io, name: string | undefined, options: { batchSize?: number; dataDir?: string }): Promise<number> {
  const projections = selected(name)
  const files = dataDir(io, options.dataDir)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  const progress = progressBar(io, `rebuild ${projections.map((p) => p.name).join(', ')}`)
  try {
    const result = await rebuildLive(reader, files.readModels, projections, {
      registry,
      signal: io.signal,
      ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
      onProgress: ({ done, total }) => progress.update(done, total),
    })
    progress.stop()
    io.out(`Rebuilt ${result.projections.join(', ')} from ${rateLine(result.events, result.seconds)}; swapped in at position ${result.position}.`)
    return 0
  } finally {
    progress.stop()
    reader.close()
  }
}

export function status(io: Io, options: { dataDir?: string }): number {
  const files = dataDir(io, options.dataDir)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  try {
    const head = reader.head()
    const stored = new Map<string, { version: number; position: number }>()
    if (existsSync(files.readModels)) {
      const db = new Database(files.readModels, { readonly: true })
      try {
        const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'projection_checkpoints'").get()
        if (hasTable)
          for (const row of db.prepare<[], { name: string; version: number; position: number }>('SELECT * FROM projection_checkpoints').all())
            stored.set(row.name, row)
      } finally {
        db.close()
      }
    }
    io.out(`event log at position ${head}`)
    const rows = readModels.map((projection) => {
      const at = stored.get(projection.name)
      const state = !at ? 'not built' : at.version !== projection.version ? `version ${at.version}, code has ${projection.version}` : 'ok'
      return [projection.name, String(projection.version), String(at?.position ?? 0), String(head - (at?.position ?? 0)), state]
    })
    for (const line of table(['read model', 'version', 'position', 'lag', 'state'], rows)) io.out(line)
    return 0
  } finally {
    reader.close()
  }
}
