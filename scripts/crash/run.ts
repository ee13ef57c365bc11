import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { demoUsers, startEmulator } from '../../src/okeanos/emulator/index.js'
import { seeded } from '../bench-scale/generate.js'
import { Load } from './load.js'
import { CrashServer } from './server.js'
import { verify, type Verdict } from './verify.js'

// The crash test: a load of commands with unique Idempotency-Keys against the service, which is SIGKILLed at
// random moments (seeded: the same seed, the same plan) and started again on the same data directory; unanswered
// commands are sent again with the same key. At the end: every acknowledged command is in the log exactly once,
// and the read models equal a fresh rebuild (verify.ts).

export interface CrashOptions {
  /** Commands to send at least. */
  commands: number
  kills: number
  seed: number
  concurrency: number
  /** Time the server runs under load before each kill: between these, in ms. */
  upMs: [number, number]
  /** Run the reactors too (they provision on the emulator while being killed). */
  reactors: boolean
  /** Told what happens, as it happens. */
  progress?: (line: string) => void
}

export interface CrashReport extends Verdict {
  acknowledged: number
  refused: number
  unanswered: number
  replayed: number
  kills: number
  seconds: number
}

export async function runCrashTest(options: CrashOptions): Promise<CrashReport> {
  const started = performance.now()
  const random = seeded(options.seed)
  const dataDir = mkdtempSync(join(tmpdir(), 'lod-crash-'))
  const emulator = await startEmulator({ users: demoUsers() })
  const server = new CrashServer({
    LOD_DATA_DIR: dataDir,
    LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl,
    LOD_SECRET_KEY: randomBytes(32).toString('base64'),
    LOD_REACTORS: options.reactors ? 'on' : 'off',
  })
  try {
    await server.start()
    const load = new Load(server, { token: emulator.users[0]!.token, commands: options.commands, concurrency: options.concurrency, random })
    let killing = true
    const kills = (async () => {
      const [min, max] = options.upMs
      for (let k = 0; k < options.kills; k++) {
        await sleep(min + random() * (max - min))
        await server.kill()
        options.progress?.(`kill ${k + 1}: ${load.acknowledged.length} commands acknowledged so far`)
        await server.start()
      }
      killing = false
    })()
    await Promise.all([load.run(() => !killing), kills])
    await server.stop()
    const verdict = verify(dataDir, load.acknowledged, load.refused.map((r) => r.command))
    return {
      ...verdict,
      acknowledged: load.acknowledged.length,
      refused: load.refused.length,
      unanswered: load.unanswered,
      replayed: load.replayed,
      kills: server.kills,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await server.stop()
    await emulator.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The report's lines; the first is the one the issue asks for. */
export function describe(report: CrashReport): string[] {
  return [
    `commands acknowledged: ${report.acknowledged}, kills survived: ${report.kills}, lost: ${report.lost.length}`,
    `duplicated: ${report.duplicated.length}, refused (4xx): ${report.refused}, refused but stored: ${report.refusedButStored.length}, ` +
      `sends without an answer (sent again with their key): ${report.unanswered}; retries answered from the idempotency ` +
      `record (committed before the kill): ${report.replayed}; events in the log: ${report.events}`,
    report.readModelDifferences.length === 0
      ? 'read models: equal to a fresh rebuild from the log'
      : `read models differ from a fresh rebuild in: ${report.readModelDifferences.join(', ')}`,
    `${report.seconds.toFixed(1)} s`,
  ]
}
