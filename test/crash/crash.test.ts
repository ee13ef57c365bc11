import t from 'tap'
import { describe, runCrashTest } from '../../scripts/crash/run.js'
import { freshPostgresDatabase } from '../support/postgres.js'

// The crash test at CI size (`npm run test:crash` runs a bigger one): SIGKILL the service under load, start it
// again, repeatedly; no acknowledged command is lost or doubled, and the read models equal a fresh rebuild. On
// SQLite one node; on PostgreSQL three sharing the log, two of them killed at once in the first round (seed 7).

t.test('acknowledged commands survive SIGKILL, exactly once', async (t) => {
  const report = await runCrashTest({ commands: 150, kills: 3, seed: 7, concurrency: 6, upMs: [150, 700], reactors: false })
  t.comment(describe(report).join('\n'))
  t.ok(report.acknowledged > 0, 'commands were acknowledged')
  t.equal(report.kills, 3, 'every kill was survived')
  t.same(report.lost.map((c) => c.key), [], 'lost: 0')
  t.same(report.duplicated.map((c) => c.key), [], 'no acknowledged command twice')
  t.same(report.refusedButStored.map((c) => c.key), [], 'no refused command stored')
  t.same(report.readModelDifferences, [], 'the read models equal a fresh rebuild')
})

t.test('on PostgreSQL, with three nodes killed at random: acknowledged commands survive, exactly once', async (t) => {
  const postgres = { databaseUrl: await freshPostgresDatabase(), nodes: 3 }
  const report = await runCrashTest({ commands: 150, kills: 3, seed: 7, concurrency: 6, upMs: [150, 700], reactors: false, postgres })
  t.comment(describe(report).join('\n'))
  t.ok(report.acknowledged > 0, 'commands were acknowledged')
  t.equal(report.kills, 3, 'every kill was survived')
  t.equal(report.doubleKills, 1, 'two nodes were killed at once')
  t.same(report.lost.map((c) => c.key), [], 'lost: 0')
  t.same(report.duplicated.map((c) => c.key), [], 'no acknowledged command twice')
  t.same(report.refusedButStored.map((c) => c.key), [], 'no refused command stored')
  t.same(report.readModelDifferences, [], 'the read models of every node equal a fresh rebuild')
})
