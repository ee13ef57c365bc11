import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { demoUsers, startEmulator } from '../../src/okeanos/emulator/index.js'
import { dataFiles, domainEventVersions } from '../../src/app/stores.js'
import type { EventLog } from '../../src/platform/eventlog/port.js'
import { SqliteEventLog } from '../../src/platform/eventlog/sqlite.js'
import { seeded } from '../bench-scale/generate.js'
import { Load } from './load.js'
import { CrashNodes } from './nodes.js'
import { CrashServer } from './server.js'
import { verify, type Verdict } from './verify.js'

// The crash test: a load of commands with unique Idempotency-Keys against the service, whose nodes are SIGKILLed at
// random moments (seeded: the same seed, the same plan) and started again on their data directories; unanswered
// commands are sent again with the same key. On SQLite one node, whose data directory holds the log; on
// PostgreSQL several, sharing its log, each with its own read models. At the end: every acknowledged command is in
// the log exactly once, and every node's read models equal a fresh rebuild (verify.ts).

export interface CrashOptions {
  /** Commands to send at least. */
  commands: number
  /** SIGKILLs in all (two nodes killed at once count two). */
  kills: number
  seed: number
  concurrency: number
  /** Time the nodes run under load before each kill: between these, in ms. */
  upMs: [number, number]
  /** Run the reactors too, on every node (they provision on the emulator while being killed). */
  reactors: boolean
  /** The log in a PostgreSQL database that `nodes` nodes share, instead of one node's SQLite files. */
  postgres?: { databaseUrl: string; nodes: number }
  /** Told what happens, as it happens. */
  progress?: (line: string) => void
}

export interface CrashReport extends Verdict {
  /** Which log, and how many nodes on it. */
  log: 'SQLite' | 'PostgreSQL'
  nodes: number
  acknowledged: number
  refused: number
  unanswered: number
  replayed: number
  kills: number
  /** Times two nodes were killed at once. */
  doubleKills: number
  seconds: number
}

export async function runCrashTest(options: CrashOptions): Promise<CrashReport> {
  const started = performance.now()
  const random = seeded(options.seed)
  // The kills draw from a stream of their own, so the load's draws (as many as its timing allows) do not move them.
  const killRandom = seeded(options.seed + 0x5eed)
  const root = mkdtempSync(join(tmpdir(), 'lod-crash-'))
  const emulator = await startEmulator({ users: demoUsers() })
  const shared = {
    LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_REACTORS: options.reactors ? 'on' : 'off',
    ...(options.postgres && { LOD_DATABASE_URL: options.postgres.databaseUrl }),
  }
  const nodes = new CrashNodes(
    Array.from({ length: options.postgres?.nodes ?? 1 }, (_, i) => {
      const dataDir = join(root, `node-${i + 1}`)
      mkdirSync(dataDir)
      return new CrashServer(dataDir, shared)
    }),
  )
  const several = nodes.servers.length > 1
  try {
    await nodes.start()
    const load = new Load(nodes, { token: emulator.users[0]!.token, commands: options.commands, concurrency: options.concurrency, random })
    let killing = true
    const kills = (async () => {
      const [min, max] = options.upMs
      for (let killed = 0, round = 1; killed < options.kills; round++) {
        await sleep(min + killRandom() * (max - min))
        killed += await nodes.killSome(killRandom, options.kills - killed, (victims) =>
          options.progress?.(
            `kill ${round}${several ? ` (node ${victims.join(' and node ')})` : ''}: ${load.acknowledged.length} commands acknowledged so far`,
          ),
        )
      }
      killing = false
    })()
    await Promise.all([load.run(() => !killing), kills])
    const log = await openLog(options, nodes.servers[0]!.dataDir)
    let verdict: Verdict
    try {
      const head = await log.headPosition()
      await nodes.settle(head)
      await nodes.stop()
      verdict = await verify(log, nodes.readModelFiles(), head, root, load.acknowledged, load.refused.map((r) => r.command))
    } finally {
      await log.close()
    }
    return {
      ...verdict,
      log: options.postgres ? 'PostgreSQL' : 'SQLite',
      nodes: nodes.servers.length,
      acknowledged: load.acknowledged.length,
      refused: load.refused.length,
      unanswered: load.unanswered,
      replayed: load.replayed,
      kills: nodes.kills(),
      doubleKills: nodes.doubleKills,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await nodes.stop()
    await emulator.close()
    rmSync(root, { recursive: true, force: true })
  }
}

/** The log the nodes wrote: the shared PostgreSQL, or the SQLite files of the one node's data directory. */
async function openLog(options: CrashOptions, dataDir: string): Promise<EventLog> {
  if (!options.postgres) return new SqliteEventLog({ path: dataFiles(dataDir).events, versions: domainEventVersions })
  const { PostgresEventLog } = await import('../../src/platform/eventlog/postgres.js')
  return PostgresEventLog.open({ connectionString: options.postgres.databaseUrl, versions: domainEventVersions })
}

/** The report's lines; the first is the one the issue asks for. */
export function describe(report: CrashReport): string[] {
  const nodes = `${report.nodes} node${report.nodes > 1 ? 's' : ''}`
  const times = report.doubleKills === 1 ? 'once' : `${report.doubleKills} times`
  const doubles = report.nodes > 1 ? ` (${times} two nodes at once)` : ''
  return [
    `on ${report.log}, ${nodes}: commands acknowledged: ${report.acknowledged}, kills survived: ${report.kills}${doubles}, lost: ${report.lost.length}`,
    `duplicated: ${report.duplicated.length}, refused (4xx): ${report.refused}, refused but stored: ${report.refusedButStored.length}, ` +
      `sends without an answer (sent again with their key): ${report.unanswered}; retries answered from the idempotency ` +
      `record (committed before the kill): ${report.replayed}; events in the log: ${report.events}`,
    report.readModelDifferences.length === 0
      ? `read models${report.nodes > 1 ? ` of every node (${nodes})` : ''}: equal to a fresh rebuild from the log`
      : `read models differ from a fresh rebuild in: ${report.readModelDifferences.join(', ')}`,
    `${report.seconds.toFixed(1)} s`,
  ]
}
