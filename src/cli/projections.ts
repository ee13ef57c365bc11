import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { rebuildLive } from '../../projections/rebuild.js'
import { readModels, registry } from '../app/stores.js'
import { UsageError, type Io } from './io.js'
import { openCommandLog } from './log.js'
import { progressBar, rateLine } from './progress.js'
import { table } from './table.js'

// `lod projections rebuild [name]`: rebuilds live read models from the log, blue/green, while the service runs
// (projections/rebuild.ts). `lod projections status`: where each read model stands against the log. On PostgreSQL
// these are this node's read models, against the log every node shares.

function selected(name: string | undefined) {
  if (name === undefined) return readModels
  const projection = readModels.find((p) => p.name === name)
  if (!projection) throw new UsageError(`No read model named '${name}'; there are: ${readModels.map((p) => p.name).join(', ')}.`)
  return [projection]
}

export async function rebuild(io: Io, name: string | undefined, options: { batchSize?: number; dataDir?: string }): Promise<number> {
  const projections = selected(name)
  const log = await openCommandLog(io, options.dataDir)
  const progress = progressBar(io, `rebuild ${projections.map((p) => p.name).join(', ')}`)
  try {
    const dir = dirname(log.readModels)
    if (!existsSync(dir)) throw new UsageError(`No data directory at ${dir} (set --data-dir or LOD_DATA_DIR): this node's read models live there.`)
    const file = await log.file()
    const result = await rebuildLive(file.reader, log.readModels, projections, {
      registry,
      signal: io.signal,
      ...(options.batchSize !== undefined && { batchSize: options.batchSize }),
      onProgress: ({ done, total }) => progress.update(done, total),
      catchUp: () => file.catchUp(),
    })
    progress.stop()
    io.out(`Rebuilt ${result.projections.join(', ')} from ${rateLine(result.events, result.seconds)}; swapped in at position ${result.position}.`)
    return 0
  } finally {
    progress.stop()
    await log.close()
  }
}

export async function status(io: Io, options: { dataDir?: string }): Promise<number> {
  const log = await openCommandLog(io, options.dataDir)
  try {
    const head = await log.head()
    const stored = new Map<string, { version: number; position: number }>()
    if (existsSync(log.readModels)) {
      const db = new Database(log.readModels, { readonly: true })
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
    await log.close()
  }
}
