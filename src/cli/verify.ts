import { existsSync } from 'node:fs'
import { openComparison, type ComparisonReport } from '../../projections/compare.js'
import { checkLog } from '../platform/eventlog/invariants.js'
import { domainEventVersions, eventSchemas, readModels } from '../app/stores.js'
import type { Io } from './io.js'
import { openCommandLog, type LogFile } from './log.js'

// `lod verify`: the log's invariants, then each read model against a fresh rebuild. Exit code 1 on any
// difference, so that it can run from cron or CI. On PostgreSQL: the log every node shares, and this node's read
// models.

/** The read models of `path` against fresh rebuilds, at the checkpoints they hold when this starts. */
async function compareLive(file: LogFile, path: string): Promise<ComparisonReport> {
  const comparison = openComparison(path)
  try {
    // A copy of a log kept elsewhere may be behind the checkpoints of a service still running.
    await file.catchUp()
    return comparison.compare(file.reader, readModels)
  } finally {
    comparison.close()
  }
}

export async function verify(io: Io, options: { json?: boolean; dataDir?: string }): Promise<number> {
  const commandLog = await openCommandLog(io, options.dataDir)
  try {
    const file = await commandLog.file()
    const readModelsReport = existsSync(commandLog.readModels)
      ? await compareLive(file, commandLog.readModels)
      : { compared: [], differences: [], problems: [{ projection: '*', detail: `no read models at ${commandLog.readModels}` }] }
    const log = checkLog(file.reader, eventSchemas, domainEventVersions)
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
    await commandLog.close()
  }
}
