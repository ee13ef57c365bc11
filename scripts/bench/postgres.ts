import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpuMsOf } from './servers.js'
import { createDatabase } from '../../test/support/postgres.js'
import { startDurablePostgres } from '../../test/support/postgres-durable.js'

// A PostgreSQL 15 of the benchmark's own (test/support/postgres-durable.ts), on PostgreSQL's default settings, so durable as a user's (fsync,
// full-page writes and synchronous commits on; the tests' shared cluster has them off). It listens on a Unix socket
// in a temp dir only, so no port has to be found free. stop() stops it and removes the dir, as a watcher does if
// this process dies first.

/** The parent of a process, from /proc (undefined once it is gone). */
function parentOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])
  } catch {
    return undefined
  }
}

export interface BenchPostgres {
  /** A new, empty database: its connection string. */
  freshDatabase(name: string): Promise<string>
  /** CPU time the server's processes (the postmaster, the backends serving connections, its workers) have used so far,
   *  in ms (Linux): a backend that has exited no longer counts. */
  cpuMs(): number
  stop(): Promise<void>
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const server = await startDurablePostgres()
  const postmaster = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  const cpuMs = () => {
    const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && parentOf(Number(name)) === postmaster)
    return children.reduce((sum, pid) => sum + cpuMsOf(Number(pid)), cpuMsOf(postmaster))
  }
  return { freshDatabase: (name) => createDatabase(server.socketDir, name), cpuMs, stop: server.stop }
}
