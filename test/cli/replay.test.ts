import t from 'tap'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { statusChanged } from '../support/harness.js'
import { aMomentLater, createdAndStarted, lod, serviceWithData, statusIn } from '../support/lod.js'

// `lod replay --as-of`: the read models as they stood at a past moment, in a new file; the live files untouched.

t.test('as of a time before a destroy, the instance is still STARTED', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h)
  const { time: beforeDestroy, position } = await aMomentLater(h)
  t.equal((await h.call('DELETE', `/api/lambda-instances/${id}/`)).statusCode, 202)
  await h.given(id, statusChanged('6'))
  const liveFile = join(h.dataDir, 'read.db')
  const liveBefore = statSync(liveFile).mtimeMs

  const byTime = join(h.dataDir, 'at-time.db')
  const run = await lod(['replay', '--as-of', beforeDestroy, '--out', byTime, '-d', h.dataDir])
  t.equal(run.code, 0, run.err)
  t.match(run.out, new RegExp(`^Replayed ${position} events in [\\d.]+ s \\([\\d,]+ events/s\\) into .*at-time.db: read models as of position ${position} \\(last event at .*Z\\)\\.$`))
  t.equal(statusIn(byTime, id), '0', 'STARTED at that time')

  const byPosition = join(h.dataDir, 'at-position.db')
  t.equal((await lod(['replay', '--as-of', String(position + 1), '--out', byPosition, '-d', h.dataDir])).code, 0)
  t.equal(statusIn(byPosition, id), '5', 'one event later: DESTROYING')

  t.equal(statusIn(liveFile, id), '6', 'the live read model is DESTROYED')
  t.equal(statSync(liveFile).mtimeMs, liveBefore, 'and was not touched')
  const replay = new Database(byTime, { readonly: true })
  t.match(replay.prepare('SELECT * FROM replay').get(), { as_of: beforeDestroy, position })
  const checkpoints = replay.prepare<[], { name: string; position: number }>('SELECT name, position FROM projection_checkpoints').all()
  t.ok(checkpoints.length >= 1 && checkpoints.every((c) => c.position === position), 'every read model as of that position')
  replay.close()
  t.notOk(existsSync(`${byTime}.partial`))
})

t.test('refuses to overwrite without --force, and a bad --as-of', async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h, [])
  const out = join(h.dataDir, 'r.db')
  t.equal((await lod(['replay', '--as-of', '1', '--out', out, '-d', h.dataDir])).code, 0)
  const again = await lod(['replay', '--as-of', '1', '--out', out, '-d', h.dataDir])
  t.same([again.code, again.err], [2, `lod: ${out} exists; pass --force to replace it.`])
  t.equal((await lod(['replay', '--as-of', '1', '--out', out, '--force', '-d', h.dataDir])).code, 0)
  const live = await lod(['replay', '--as-of', '1', '--out', join(h.dataDir, 'read.db'), '--force', '-d', h.dataDir])
  t.equal(live.code, 2, 'never the live read models')
  const bad = await lod(['replay', '--as-of', 'yesterday', '--out', join(h.dataDir, 'x.db'), '-d', h.dataDir])
  t.same([bad.code, bad.err], [2, "lod: --as-of must be an ISO time (e.g. 2024-05-01T10:00:00Z) or a log position, got 'yesterday'."])
  const missing = await lod(['replay', '--out', out, '-d', h.dataDir])
  t.equal(missing.code, 1)
  t.match(missing.err, "required option '--as-of <time|position>' not specified")
})
