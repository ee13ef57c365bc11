import { appendFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { asPostgres, createDatabase, initdb, ownClusterDir, superuser } from './postgres.js'

// A PostgreSQL of its own, durable as in production (fsync and synchronous commit on: PostgreSQL's defaults), for
// a run that must show what survives crashes, where the tests' shared cluster (fsync off) would not do:
// `npm run test:crash` on PostgreSQL, and the benchmarks. On a Unix socket in its temp dir, so no port has to be found free; stopped
// and removed by stop(), or, if this process dies first, by a watcher.

export interface DurablePostgres {
  /** A database of its own in it, empty until the service creates its schema. */
  connectionString: string
  /** Its data directory, and the directory of its socket (no TCP). */
  dataDir: string
  socketDir: string
  stop(): Promise<void>
}

export async function startDurablePostgres(): Promise<DurablePostgres> {
  const dir = ownClusterDir('lod-durable-postgres-')
  const data = join(dir, 'data')
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', ...args])
  const stop = async () => {
    await pgCtl('-m', 'fast', 'stop').catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await initdb(data)
    appendFileSync(join(data, 'postgresql.conf'), [`listen_addresses = ''`, `unix_socket_directories = '${dir}'`].join('\n') + '\n')
    await pgCtl('start')
    return { connectionString: await createDatabase(dir, 'lod'), dataDir: data, socketDir: dir, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
