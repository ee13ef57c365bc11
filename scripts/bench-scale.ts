import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEventLog } from '../src/platform/eventlog/sqlite.js'
import { demoUsers, startEmulator } from '../src/okeanos/emulator/index.js'
import { dataFiles, domainEventVersions } from '../src/app/stores.js'
import { hasTaskset, pinSelf, startChild } from './bench/servers.js'
import { growLog, seeded, type Generated } from './bench-scale/generate.js'
import { probe, type Probe, type Probes } from './bench-scale/service.js'
import { measureSteal } from './bench/steal.js'

// `npm run bench:scale`: the same service over a log of 10k, 100k and 1M events (BENCH_SCALE_SIZES), grown in
// one data directory. At each size: the projection rebuild (`lod projections rebuild` in a process of its own,
// from position 0, the median of three), the
// service's cold start (spawn to listening, reactors on) and its memory, then the latency of an append, of a
// details GET and of a list GET with a limit (one at a time) and their throughput (10 connections, BENCH_SECONDS
// each, default 3). The user measured owns 5% of the instances, so their own list grows with the log.
// Targets: flat curves; at 1M events a cold start < 1 s and RSS < 200 MB; rebuild ≥ 200k events/s.
// BENCH_DIR keeps the data directory (and a log grown before is grown further).

const sizes = (process.env.BENCH_SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number)
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const kept = process.env.BENCH_DIR
const dir = kept ?? mkdtempSync(join(tmpdir(), 'lod-bench-scale-'))
mkdirSync(dir, { recursive: true })
const files = dataFiles(dir)

const pin = await hasTaskset()
if (pin) pinSelf(0)
// The ~okeanos of the service lives here, so that the service's cold start is its own.
const emulator = await startEmulator({ users: demoUsers() })
const user = emulator.users[0]!
const random = seeded(2016)
const owners = Array.from({ length: 1000 }, () => randomUUID())
let generated: Generated = { userInstances: [], instances: 0 }

const ms = (value: number) => value.toFixed(2).padStart(6)
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`
/** `lod projections rebuild` on the data directory, as an operator runs it: in a process of its own, on every core
 *  (it starts a worker thread), not in this one, pinned to core 0 and holding the generated log's bookkeeping. */
function rebuildInOwnProcess(dataDir: string, pinned: boolean): { events: number; seconds: number } {
  // The log was just written: its pages go to disk first, not while the rebuild is timed.
  execFileSync('sync')
  const lod = ['bin/lod.js', 'projections', 'rebuild', '--data-dir', dataDir]
  const output = pinned
    ? // (availableParallelism() here would say 1: this process is pinned.)
      execFileSync('taskset', ['-c', `0-${cpus().length - 1}`, process.execPath, ...lod], { encoding: 'utf8' })
    : execFileSync(process.execPath, lod, { encoding: 'utf8' })
  const done = /from ([\d,]+) events in ([\d.]+) s/.exec(output)
  if (!done) throw new Error(`lod projections rebuild said: ${output}`)
  return { events: Number(done[1]!.replaceAll(',', '')), seconds: Number(done[2]) }
}

/** The rebuild's target is for a million events (README.md "Scripts"); below, its fixed costs (creating, swapping and
 *  indexing the tables, checkpointing) weigh on the rate. */
const rebuildVerdict = (events: number, rate: number, seconds: number) =>
  events >= 1_000_000
    ? rate >= 200_000 ? '(≥ 200k: met)' : '(≥ 200k: NOT met)'
    : `(in ${Math.round(seconds * 1000)} ms; the ≥ 200k target is for 1M events)`
const under200 = (bytes: number) => (bytes < 200 * 1024 * 1024 ? '(< 200 MB: met)' : '(< 200 MB: NOT met)')
const cell = (p: Probe) => `${ms(p.latency.p50)} ${ms(p.latency.p99)} ${p.rps.toFixed(0).padStart(6)}`

console.log(
  `bench:scale: one log grown to ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} events; latencies in ms ` +
    `(p50 p99, one request at a time), throughput in req/s (10 connections, ${seconds} s)` +
    (pin ? '; the service on core 1, this process (load, ~okeanos) on core 0' : ''),
)
console.log(
  `${'events'.padStart(10)} | ${'append (status POST)'.padEnd(20)} | ${'details GET'.padEnd(20)} | ${'list GET ?limit=10'.padEnd(20)} | ` +
    `rebuild ev/s | cold start (+ code) | RSS start / end / peak`,
)
const summary: string[] = []
const steal = measureSteal()
const measured: Probes[] = []
try {
  for (const size of sizes) {
    const log = new SqliteEventLog({ path: files.events, synchronous: 'normal', versions: domainEventVersions })
    generated = await growLog(log, size, { user: user.id, userShare: 0.05, owners, random }, generated)
    await log.close()

    // Three rebuilds, the median: the first one after the log is written is often the slowest by far.
    const rebuilds = [1, 2, 3].map(() => rebuildInOwnProcess(dir, pin)).sort((a, b) => a.seconds - b.seconds)
    const rebuilt = rebuilds[1]!
    const rebuildRate = rebuilt.events / rebuilt.seconds

    const started = performance.now()
    const service = await startChild(
      'src/cli.ts',
      { LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl, LOD_REACTORS: 'on' },
      { dataDir: dir, ...(pin && { core: 1 }) },
    )
    const spawnToListen = performance.now() - started
    // What serve() reports: opening the log and the read models, building the app, starting the reactors and
    // listening — and the same counted from the process's start, loading the code included.
    const reported = /started in (\d+) ms, (\d+) ms after the process/.exec(service.banner)
    const coldStart = reported ? Number(reported[1]) : spawnToListen
    const withCode = reported ? Number(reported[2]) : spawnToListen
    const atStart = service.memory()
    let atEnd = atStart
    let probes: Probes
    try {
      probes = await probe(service, user.token, generated.userInstances, seconds)
      atEnd = service.memory()
    } finally {
      await service.stop()
    }
    measured.push(probes)
    console.log(
      `${rebuilt.events.toLocaleString('en-US').padStart(10)} | ${cell(probes.append)} | ${cell(probes.details)} | ${cell(probes.list)} | ` +
        `${Math.round(rebuildRate).toLocaleString('en-US').padStart(12)} | ${`${coldStart} ms (${withCode} ms)`.padStart(17)} | ` +
        `${mb(atStart.rss)} / ${mb(atEnd.rss)} / ${mb(atEnd.peak)}`,
    )
    summary.push(
      `${size.toLocaleString('en-US')} events: cold start ${coldStart} ms ${coldStart < 1000 ? '(< 1 s: met)' : '(< 1 s: NOT met)'}, ` +
        `${withCode} ms counting the process's start and tsx compiling the code; ` +
        `RSS after the load ${mb(atEnd.rss)} ${under200(atEnd.rss)}, at its peak ${mb(atEnd.peak)} ${under200(atEnd.peak)}; ` +
        `rebuild ${Math.round(rebuildRate).toLocaleString('en-US')} events/s ${rebuildVerdict(rebuilt.events, rebuildRate, rebuilt.seconds)}, ` +
        `the median of ${rebuilds.map((r) => `${r.seconds.toFixed(2)} s`).join(', ')}`,
    )
  }
  console.log(`the user owns ${generated.userInstances.length.toLocaleString('en-US')} of ${generated.instances.toLocaleString('en-US')} instances`)
  for (const line of summary) console.log(line)
  const first = measured[0]
  const last = measured[measured.length - 1]
  if (first && last && measured.length > 1) {
    const growth = (name: keyof Probes) => `${name} ${(last[name].latency.p50 / first[name].latency.p50).toFixed(2)}×`
    console.log(`p50 latency at the largest size / at the smallest: ${growth('append')}, ${growth('details')}, ${growth('list')} (flat: about 1×)`)
  }
  console.log(steal())
} finally {
  await emulator.close()
  if (!kept) rmSync(dir, { recursive: true, force: true })
}
