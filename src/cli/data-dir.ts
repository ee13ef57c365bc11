import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { dataFiles } from '../app/stores.js'
import { UsageError, type Io } from './io.js'

/** The data directory a command was given, or the service's. */
export function dataDirPath(io: Io, option: string | undefined): string {
  return resolve(option ?? io.env.LOD_DATA_DIR ?? './data')
}

/** The files of the data directory, checking that the event log is there. */
export function dataDir(io: Io, option: string | undefined) {
  const dir = dataDirPath(io, option)
  const files = dataFiles(dir)
  if (!existsSync(files.events)) throw new UsageError(`No event log at ${files.events} (set --data-dir or LOD_DATA_DIR).`)
  return { dir, ...files }
}
