import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuMsOf } from './servers.js'
import { asPostgres, createDatabase, givePostgres, initdb, requirePostgres, stopWhenGone } from '../../test/support/postgres.js'

// A PostgreSQL 15 of the benchmark's own, on PostgreSQL's default settings, so durable as a user's (fsync,
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
  requirePostgres()
  const dir = mkdtempSync(join(tmpdir(), 'lod-bench-postgres-'))
  stopWhenGone(process.pid, dir)
  givePostgres(dir)
  const socketDir = join(dir, 'socket')
  mkdirSync(socketDir)
  givePostgres(socketDir)
  const data = join(dir, 'data')
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', ...args])
  const stop = async () => {
    await pgCtl('-m', 'fast', 'stop').catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await initdb(data)
    appendFileSync(join(data, 'postgresql.conf'), `listen_addresses = ''\nunix_socket_directories = '${socketDir}'\n`)
    await pgCtl('start')
  } catch (error) {
    await stop()
    throw error
  }
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  const cpuMs = () => {
    const children = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && parentOf(Number(name)) === postmaster)
    return children.reduce((sum, pid) => sum + cpuMsOf(Number(pid)), cpuMsOf(postmaster))
  }
  return { freshDatabase: (name) => createDatabase(socketDir, name), cpuMs, stop }
}
