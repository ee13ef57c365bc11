import { randomUUID } from 'node:crypto'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'

// Another process writing to a SQLite log, for the tests of what a log hears of other processes:
//   node --import tsx test/support/sqlite-appender.ts <file> <appends> <actor>
// appends one event at a time, each to one of five streams, then exits.

const [path, appends, actor] = process.argv.slice(2) as [string, string, string]
const log = new SqliteEventLog({ path })
for (let i = 0; i < Number(appends); i++)
  await log.append(`${actor}-${i % 5}`, [{ id: randomUUID(), type: 'E', data: { i }, metadata: { actor } }], 'any')
await log.close()
