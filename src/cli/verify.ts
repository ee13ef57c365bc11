import { existsSync } from 'node:fs'
import { compareWithRebuild } from '../../projections/compare.js'
import { checkLog } from '../platform/eventlog/invariants.js'
import { SqliteEventReader } from '../platform/eventlog/sqlite-reader.js'
import { domainEventVersions, eventSchemas, readModels } from '../app/stores.js'
import { dataDir } from './data-dir.js'
import type { Io } from './io.js'

// `lod verify`: the log's invariants, then each read model against a fresh rebuild. Exit code 1 on any
// difference, so that it can run from cron or CI.

export function verify(io: Io, options: { json?: boolean; dataDir?: string }): number {
  const files = dataDir(io, options.dataDir)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  try {
    const log = checkLog(reader, eventSchemas, domainEventVersions)
    const readModelsReport = existsSync(files.readModels)
      ? compareWithRebuild(reader, files.readModels, readModels)
      : { compared: [], differences: [], problems: [{ projection: '*', detail: `no read models at ${files.readModels}` }] }
    const ok = log.problems.length === 0 && readModelsReport.differences.length === 0 && readModelsReport.problems.length === 0
    if (options.json) {
      io.out(JSON.stringify({ ok, log, readModels: readModelsReport }, null, 2))
      return ok ? 0 : 1
    }
    if (log.problems.length === 0)
      io.out(`ok    event log: ${log.events} events in ${log.streams} streams; versions contiguous, ids unique, every event decodes`)
    else {
      io.out(`FAIL  event log: ${log.problems.length + log.more} problem(s) in ${log.events} events`)
      for (const problem of log.problems) io.out(`        ${problem.check}: ${problem.detail}`)
      if (log.more > 0) io.out(`        … and ${log.more} more`)
    }
    for (const { projection, position, rows } of readModelsReport.compared) {
      const differences = readModelsReport.differences.filter((d) => d.projection === projection)
      if (differences.length === 0) {
        io.out(`ok    read model ${projection}: equals a fresh rebuild at position ${position} (${rows} rows)`)
        continue
      }
      io.out(`FAIL  read model ${projection}: differs from a fresh rebuild at position ${position}`)
      for (const d of differences) {
        io.out(`        table ${d.table}: ${d.missing} row(s) missing or different, ${d.unexpected} unexpected`)
        for (const example of d.examples) io.out(`          ${example}`)
      }
    }
    for (const problem of readModelsReport.problems) io.out(`FAIL  read model ${problem.projection}: ${problem.detail}`)
    return ok ? 0 : 1
  } finally {
    reader.close()
  }
}
