import { appendFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { asPostgres, givePostgres, initdb, ownClusterDir, superuser } from './postgres.js'

// A PostgreSQL primary with a synchronous hot standby, for the failover tests: a pair of their own (the run's shared
// cluster is never failed over), durable as in production (fsync on), each server on a Unix socket dir of its own.
// The standby is a base backup of the primary (`pg_basebackup -R -X stream`) and applies every commit before the
// primary acknowledges it (`synchronous_commit = remote_apply`). Both are stopped and their dir removed when the
// test's teardown runs, or, if the test's process dies first, by a watcher.

export interface PostgresServer {
  socketDir: string
  port: number
}

export interface PrimaryAndStandby {
  primary: PostgresServer
  standby: PostgresServer
  /** A new, empty database, on both (it is replicated). */
  freshDatabase(): Promise<string>
  /** A connection string naming these servers as hosts, in this order. */
  connectionString(database: string, hosts: PostgresServer[]): string
  /** Stops the standby's WAL receiver (SIGSTOP) until the function it gives is called: a standby that lags, as over
   *  a slow network. A synchronous primary acknowledges no commit meanwhile. */
  holdReplication(): Promise<() => void>
  /** Kills the primary at once (`pg_ctl -m immediate stop`): no shutdown checkpoint, no goodbye to its clients. */
  killPrimary(): Promise<void>
  /** Makes the standby the primary (`pg_ctl promote`), waiting until it accepts writes. */
  promoteStandby(): Promise<void>
  stop(): Promise<void>
}

export async function startPrimaryAndStandby(): Promise<PrimaryAndStandby> {
  const dir = ownClusterDir('lod-test-failover-')
  const primary = { socketDir: join(dir, 'primary-socket'), port: 5432 }
  const standby = { socketDir: join(dir, 'standby-socket'), port: 5433 }
  const [primaryData, standbyData] = [join(dir, 'primary'), join(dir, 'standby')]
  const pgCtl = (data: string, ...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', `${data}.log`, '-w', '-t', '60', ...args])
  const stop = async () => {
    for (const data of [primaryData, standbyData]) await pgCtl(data, '-m', 'immediate', 'stop').catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const server of [primary, standby]) {
      mkdirSync(server.socketDir)
      givePostgres(server.socketDir)
    }
    await initdb(primaryData)
    configure(primaryData, primary, [
      // An acknowledged commit is applied on the standby, so it survives the primary; '*': whichever standby.
      "synchronous_standby_names = '*'",
      'synchronous_commit = remote_apply',
    ])
    await pgCtl(primaryData, 'start')
    await asPostgres('pg_basebackup', ['-D', standbyData, '-R', '-X', 'stream', '-h', primary.socketDir, '-p', String(primary.port), '-U', superuser])
    // The backup copied the primary's settings; this one waits for no standby of its own once promoted, or no commit
    // would ever be acknowledged after the failover.
    configure(standbyData, standby, ["synchronous_standby_names = ''"])
    await pgCtl(standbyData, 'start')
    await waitForSynchronousStandby(primary)
  } catch (error) {
    await stop()
    throw error
  }
  let databases = 0
  return {
    primary,
    standby,
    freshDatabase: async () => {
      const name = `failover_${++databases}`
      await query(primary, `CREATE DATABASE ${name} TEMPLATE template0`)
      return name
    },
    connectionString: (database, hosts) =>
      `postgresql://${superuser}@/${database}?host=${hosts.map((host) => encodeURIComponent(host.socketDir)).join(',')}` +
      `&port=${hosts.map((host) => host.port).join(',')}`,
    holdReplication: async () => {
      const [receiver] = await query(standby, 'SELECT pid FROM pg_stat_wal_receiver')
      const { pid } = receiver as { pid: number }
      process.kill(pid, 'SIGSTOP')
      return () => process.kill(pid, 'SIGCONT')
    },
    killPrimary: () => pgCtl(primaryData, '-m', 'immediate', 'stop'),
    promoteStandby: () => pgCtl(standbyData, 'promote'),
    stop,
  }
}

/** Settings appended to a cluster's own: later lines win. */
function configure(data: string, server: PostgresServer, settings: string[]): void {
  appendFileSync(
    join(data, 'postgresql.conf'),
    ["listen_addresses = ''", `unix_socket_directories = '${server.socketDir}'`, `port = ${server.port}`, ...settings].join('\n') + '\n',
  )
}

async function waitForSynchronousStandby(primary: PostgresServer): Promise<void> {
  const deadline = Date.now() + 60_000
  while ((await query(primary, "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'")).length === 0) {
    if (Date.now() > deadline) throw new Error('the standby did not become synchronous within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function query(server: PostgresServer, text: string): Promise<unknown[]> {
  const client = new pg.Client({ host: server.socketDir, port: server.port, user: superuser, database: 'postgres' })
  await client.connect()
  try {
    return (await client.query(text)).rows
  } finally {
    await client.end()
  }
}
