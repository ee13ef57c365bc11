import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { rebuildLive, replayIntoFile } from '../projections/rebuild.js'
import { SqliteEventLog } from '../src/platform/eventlog/sqlite.js'
import { SqliteEventReader } from '../src/platform/eventlog/sqlite-reader.js'
import { dataFiles, domainEventVersions, readModels, registry } from '../src/app/stores.js'
import { measureSteal } from './bench/steal.js'
import { instanceStream } from '../src/instances/events.js'

// `npm run bench:rebuild`: writes a log of BENCH_EVENTS events (default 1,000,000) shaped like the service's —
// instances created, provisioned, taken through their install stages by their service VMs, some stopped,
// started again, failed or destroyed — then, in a fresh process so that its memory is its own, rebuilds the
// read models from it: blue/green as `lod projections rebuild` does, and into a new file as `lod replay` does.
// Prints events/s (target: at least 200,000) and the peak memory of the rebuilding process.

const events = Number(process.env.BENCH_EVENTS ?? 1_000_000)
/** Events per transaction; unset: the commands' defaults. */
const batchSize = { registry, ...(process.env.BENCH_BATCH && { batchSize: Number(process.env.BENCH_BATCH) }) }

const spec = (name: string) => ({
  project_name: 'lambda.grnet.gr', instance_name: name, master_name: `${name}-master`, slaves: 2,
  vcpus_master: 4, vcpus_slave: 2, ram_master: 4096, ram_slave: 2048, disk_master: 20, disk_slave: 10,
  ip_allocation: 'master', network_request: 1, public_key_name: ['laptop'],
  kafka_input_topics: ['input'], kafka_output_topics: ['stream-output', 'batch-output'],
})

const installStages = ['10', '12', '14', '16', '18', '20', '22', '0']

/** One instance's events: [type, data, actor], 11 to 16 of them. */
function lifecycle(serial: number, owner: string): Array<[string, unknown, string]> {
  const name = `bench-${serial}`
  const status = (code: string, source: string, failure_message = '') => ['InstanceStatusChanged', { status: code, failure_message, source }, source] as [string, unknown, string]
  const out: Array<[string, unknown, string]> = [
    ['InstanceRequested', { owner, owner_name: 'Bench User', name, instance_info: spec(name) }, owner],
    ['ClusterProvisioned', {
      master: { id: 100_000 + serial * 3, name: `${name}-master` },
      slaves: [{ id: 100_001 + serial * 3, name: 'lambda-node1' }, { id: 100_002 + serial * 3, name: 'lambda-node2' }],
      network: { id: String(3000 + serial), subnet_id: String(9000 + serial), cidr: '192.168.0.0/24', gateway: '192.168.0.1' },
      floating_ip: { id: String(600_000 + serial), address: `83.212.${(serial >> 8) & 255}.${serial & 255}` },
    }, 'provisioning'],
    ...installStages.map((code) => status(code, code === '10' ? 'reactor' : 'service-vm')),
  ]
  switch (serial % 4) {
    case 1:
      out.push(['InstanceStopRequested', {}, owner], status('1', 'reactor'), ['InstanceStartRequested', {}, owner], status('0', 'reactor'))
      break
    case 2:
      out.push(['InstanceDestroyRequested', {}, owner], status('6', 'reactor'))
      break
    case 3:
      out.push(status('9', 'service-vm', 'Flink job manager did not start'))
  }
  return out
}

/** A log of `count` events, written straight into the adapter's table in big transactions. Like the real one,
 *  it interleaves many instances' lives: a thousand are under way at any time, each moving on at random. */
function writeLog(path: string, count: number): number {
  new SqliteEventLog({ path, synchronous: 'normal' }).close()
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream, version, type, type_version, data, metadata, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const owners = Array.from({ length: 500 }, () => randomUUID())
  let seed = 42
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
  let serial = 0
  const start = () => {
    serial++
    return { stream: instanceStream(randomUUID()), events: lifecycle(serial, owners[serial % owners.length]!), next: 0 }
  }
  const underWay = Array.from({ length: 1_000 }, start)
  let written = 0
  const time = new Date().toISOString()
  const writeSome = db.transaction((n: number) => {
    for (let i = 0; i < n && written < count; i++, written++) {
      const slot = Math.floor(random() * underWay.length)
      const instance = underWay[slot]!
      const [type, data, actor] = instance.events[instance.next]!
      const metadata = JSON.stringify({ actor, request_id: randomUUID(), correlation_id: randomUUID() })
      insert.run(randomUUID(), instance.stream, instance.next, type, domainEventVersions.current(type), JSON.stringify(data), metadata, time)
      if (++instance.next === instance.events.length) underWay[slot] = start()
    }
  })
  while (written < count) writeSome(50_000)
  db.close()
  return written
}

const mb = (kb: number) => `${Math.round(kb / 1024)} MB`

/** In its own process: rebuild, report as one JSON line. */
async function measure(dir: string): Promise<void> {
  const files = dataFiles(dir)
  const reader = new SqliteEventReader(files.events, domainEventVersions)
  const rssBefore = process.memoryUsage().rss
  const live = await rebuildLive(reader, files.readModels, readModels, batchSize)
  const replay = await replayIntoFile(reader, join(dir, 'replay.db'), readModels, reader.head(), batchSize)
  reader.close()
  const usage = process.resourceUsage()
  console.log(JSON.stringify({ live, replay, rssBeforeKb: Math.round(rssBefore / 1024), maxRssKb: usage.maxRSS }))
}

async function main(): Promise<void> {
  // BENCH_DIR keeps the log between runs (it is rebuilt from, never changed); by default a temporary one.
  const kept = process.env.BENCH_DIR
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'lod-bench-rebuild-'))
  try {
    let started = performance.now()
    if (!kept || !existsSync(dataFiles(dir).events)) {
      mkdirSync(dir, { recursive: true })
      const written = writeLog(dataFiles(dir).events, events)
      console.log(`log: ${written.toLocaleString('en-US')} events written in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    for (const file of [dataFiles(dir).readModels, join(dir, 'replay.db')]) rmSync(file, { force: true })
    started = performance.now()
    const steal = measureSteal()
    const output = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--measure', dir], { encoding: 'utf8' })
    const result = JSON.parse(output.trim().split('\n').at(-1)!)
    const line = (label: string, r: { events: number; seconds: number }) => {
      const rate = Math.round(r.events / r.seconds)
      return `${label}: ${r.events.toLocaleString('en-US')} events in ${r.seconds.toFixed(2)} s = ${rate.toLocaleString('en-US')} events/s ${rate >= 200_000 ? '(target ≥ 200,000: met)' : '(target ≥ 200,000: NOT met)'}`
    }
    console.log(line('rebuild (blue/green, lod projections rebuild)', result.live))
    console.log(line('replay into a new file (lod replay)', result.replay))
    console.log(`peak memory of the rebuilding process: ${mb(result.maxRssKb)} RSS (${mb(result.rssBeforeKb)} before it started)`)
    console.log(steal())
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--measure') await measure(process.argv[3]!)
else await main()
