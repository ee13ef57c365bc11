import t from 'tap'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { RecordedEvent } from '../../../src/platform/eventlog/port.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { waitUntil } from '../../support/wait.js'

// Two processes on one SQLite log (an API-only node and a reactor process on one data directory): each one's
// subscribers get the other's commits too, every event once and in position order, whether this process commits
// meanwhile or not.

const appender = join(import.meta.dirname, '..', '..', 'support', 'sqlite-appender.ts')

function appendFromAnotherProcess(path: string, appends: number, actor: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', appender, path, String(appends), actor], { stdio: ['ignore', 'inherit', 'inherit'] })
  return new Promise((resolve) => child.on('exit', resolve))
}

const positionsOf = (events: RecordedEvent[]) => events.map((event) => event.position)
const upTo = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => from + i)

t.test("another process's commits reach the subscribers, between and before this process's own", async (t) => {
  const path = `${t.testdir()}/events.db`
  const log = new SqliteEventLog({ path })
  t.teardown(() => log.close())
  const early: RecordedEvent[] = []
  log.subscribe(0, (batch) => early.push(...batch))

  const other = appendFromAnotherProcess(path, 200, 'other')
  let late: RecordedEvent[] | undefined
  let lateFrom = 0
  for (let i = 0; i < 200; i++) {
    await log.append(`this-${i % 5}`, [{ id: randomUUID(), type: 'E', data: { i }, metadata: { actor: 'this' } }], 'any')
    if (i === 100) {
      const events: RecordedEvent[] = []
      lateFrom = await log.headPosition()
      log.subscribe(lateFrom, (batch) => events.push(...batch))
      late = events
    }
  }
  t.equal(await other, 0, 'the other process appended everything')

  const head = await log.headPosition()
  t.equal(head, 400)
  await waitUntil(() => `the subscriber to reach ${head}; it is at ${early.at(-1)?.position}`, () => early.at(-1)?.position === head)
  await waitUntil('the later subscriber to reach the head', () => late!.at(-1)?.position === head)
  t.same(positionsOf(early), upTo(head), 'every event once, in order')
  t.same(positionsOf(late!), upTo(head, lateFrom + 1), 'a subscriber from a later position too')
  t.equal(early.filter((event) => event.metadata.actor === 'other').length, 200)
  t.same(early, await log.readAll(0, head), 'as stored')
})

t.test('a commit of another process is heard while this one commits nothing', async (t) => {
  const path = `${t.testdir()}/events.db`
  const log = new SqliteEventLog({ path, pollIntervalMs: 20 })
  t.teardown(() => log.close())
  const seen: RecordedEvent[] = []
  log.subscribe(0, (batch) => seen.push(...batch))
  t.equal(await appendFromAnotherProcess(path, 3, 'other'), 0)
  await waitUntil('the three events', () => seen.length === 3, 5_000)
  t.same(positionsOf(seen), [1, 2, 3])
})
