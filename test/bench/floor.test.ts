import { join } from 'node:path'
import t from 'tap'
import Database from 'better-sqlite3'
import { runScript } from '../../scripts/bench/servers.js'
import { createdAndStarted, serviceWithData } from '../support/lod.js'
import { tempDir } from '../support/temp-dir.js'

// The part of `npm run bench` that measures the floor of a request (scripts/bench/floor.ts): it appends again what
// the service's log holds, under the log's own rules, and writes access-log lines. No timing is asserted: the
// numbers are the bench's to print.

t.test("the floor appends the service's own events again and writes log lines, and says so in CPU time", async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h)
  await h.service.close()
  const events = join(h.dataDir, 'events.db')
  const stored = new Database(events, { readonly: true }).prepare('SELECT count(*) AS n FROM events').get() as { n: number }
  t.ok(stored.n > 5, `the service's log holds its events (${stored.n})`)

  const measured = JSON.parse(runScript('scripts/bench/floor.ts', [events, '5', '200', '500']))
  t.ok(measured.appended >= stored.n + 200, `the copied events and the measured appends were committed (${measured.appended})`)
  t.ok(measured.appendUs > 0 && Number.isFinite(measured.appendUs), `CPU per append (${measured.appendUs} µs)`)
  t.ok(measured.logLineUs > 0 && Number.isFinite(measured.logLineUs), `CPU per log line (${measured.logLineUs} µs)`)
})

t.test('a log with no events has no floor to measure', async (t) => {
  const empty = join(tempDir(t), 'events.db')
  new Database(empty).exec('CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT, type TEXT, data TEXT, metadata TEXT)')
  t.throws(() => runScript('scripts/bench/floor.ts', [empty, '5', '200', '500']), /exited with 1: .*holds no events/s)
})
