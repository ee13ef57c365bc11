import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { seeded } from '../bench-scale/generate.js'
import { dataFiles } from '../../src/app/stores.js'
import type { CrashServer } from './server.js'

// The nodes under test, one service process each, on one log. The load sends to the nodes that are up in turn, so
// a command sent again after its node was killed goes to another one; while every node is down, it waits for the
// first to be back.

export class CrashNodes {
  private turn = 0
  /** Times two nodes were killed at once. */
  doubleKills = 0

  constructor(readonly servers: readonly CrashServer[]) {}

  url(): Promise<string> {
    const up = this.servers.filter((server) => server.isUp())
    if (up.length === 0) return Promise.race(this.servers.map((server) => server.url()))
    return up[this.turn++ % up.length]!.url()
  }

  kills(): number {
    return this.servers.reduce((sum, server) => sum + server.kills, 0)
  }

  async start(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.start()))
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()))
  }

  /** SIGKILLs one node, or now and then (with several) two at once, at most `most`; then starts them again.
   *  `killed` is told which nodes (numbered from 1) were killed, before they start. */
  async killSome(random: ReturnType<typeof seeded>, most: number, killed: (nodes: number[]) => void): Promise<number> {
    const pool = this.servers.map((_, i) => i)
    const count = pool.length > 1 && most > 1 && random() < 0.3 ? 2 : 1
    const victims = Array.from({ length: count }, () => pool.splice(Math.floor(random() * pool.length), 1)[0]!)
    await Promise.all(victims.map((i) => this.servers[i]!.kill()))
    if (count === 2) this.doubleKills++
    killed(victims.map((i) => i + 1))
    await Promise.all(victims.map((i) => this.servers[i]!.start()))
    return count
  }

  /** Waits until the read models of every node have reached `head` (each node hears of the others' commits a
   *  little later than of its own), or `timeoutMs` passed: a node left behind shows in the comparison. */
  async settle(head: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (const server of this.servers)
      while (positionIn(server.dataDir) < head && Date.now() < deadline) await sleep(50)
  }

  readModelFiles(): string[] {
    return this.servers.map((server) => dataFiles(server.dataDir).readModels)
  }
}

/** The position every read model of a node has reached. */
export function readModelsPosition(db: Database.Database): number {
  return db.prepare<[], number>('SELECT coalesce(min(position), 0) FROM projection_checkpoints').pluck().get()!
}

/** Where a node's read models stand, read from their file beside the running node. */
function positionIn(dataDir: string): number {
  const file = dataFiles(dataDir).readModels
  if (!existsSync(file)) return 0
  const db = new Database(file, { readonly: true })
  try {
    return readModelsPosition(db)
  } finally {
    db.close()
  }
}
