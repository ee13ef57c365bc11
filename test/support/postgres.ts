import { execFile, execFileSync, spawn } from 'node:child_process'
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

// A real PostgreSQL 15 for the tests: one cluster per tap run, and a fresh database for each log a test opens.
//
// tap runs each test file in a process of its own, so the cluster belongs to the run, not to a file: it lives in a
// temp dir named after the tap process; the first file to ask creates the dir (mkdir is the lock), starts the
// cluster and marks it ready; the others wait for that mark. A watcher started with it stops the cluster and
// removes the dir once the tap process is gone, however the run ends: failed or killed test files included. Run
// outside tap, the test file's own process is the owner. Connections go through a Unix socket in that dir, so no
// port has to be found free. fsync is off: these tests are about behaviour, not durability.

const bin = '/usr/lib/postgresql/15/bin'
export const superuser = 'lod'
const startTimeoutMs = 120_000

const asRoot = process.getuid?.() === 0

let cluster: Promise<string> | undefined
let databases = 0

/** A new, empty database in this run's PostgreSQL: its connection string. */
export async function freshPostgresDatabase(): Promise<string> {
  const socketDir = await (cluster ??= clusterOfThisRun())
  return createDatabase(socketDir, `test_${process.pid}_${++databases}`)
}

/** A new, empty database `name` in the cluster listening in `socketDir`: its connection string. */
export async function createDatabase(socketDir: string, name: string): Promise<string> {
  const admin = new pg.Client({ host: socketDir, user: superuser, database: 'postgres' })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`)
  } finally {
    await admin.end()
  }
  return `postgresql://${superuser}@/${name}?host=${encodeURIComponent(socketDir)}`
}

/** The socket dir of the cluster this run shares, started by whoever asks first. */
async function clusterOfThisRun(): Promise<string> {
  requirePostgres()
  const owner = process.env.TAP === '1' ? process.ppid : process.pid
  const dir = join(tmpdir(), `lod-test-postgres-${owner}-${startTimeOf(owner)}`)
  try {
    mkdirSync(dir, { mode: 0o755 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return await readyCluster(dir)
  }
  try {
    await startCluster(dir, owner)
    writeFileSync(join(dir, 'ready.tmp'), '')
    renameSync(join(dir, 'ready.tmp'), join(dir, 'ready'))
  } catch (error) {
    writeFileSync(join(dir, 'failed'), String(error))
    throw error
  }
  return dir
}

export function requirePostgres(): void {
  if (!existsSync(join(bin, 'initdb')))
    throw new Error(`PostgreSQL 15 is not installed (no ${bin}/initdb): install the Debian package postgresql-15 (.ci/run does)`)
}

async function startCluster(dir: string, owner: number): Promise<void> {
  stopWhenGone(owner, dir)
  givePostgres(dir)
  const data = join(dir, 'data')
  await initdb(data)
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      "listen_addresses = ''",
      `unix_socket_directories = '${dir}'`,
      'max_connections = 300',
      'fsync = off',
      'full_page_writes = off',
      'synchronous_commit = off',
    ].join('\n') + '\n',
  )
  await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
}

/** A temp dir for a cluster of a test's (or a script's) own, given to the postgres user when this is root, and
 *  stopped and removed once this process is gone, if nobody did before. */
export function ownClusterDir(prefix: string): string {
  requirePostgres()
  const dir = mkdtempSync(join(tmpdir(), prefix))
  stopWhenGone(process.pid, dir)
  givePostgres(dir)
  return dir
}

/** initdb refuses to run as root: a cluster is then the postgres user's, in a dir it owns. */
export function givePostgres(dir: string): void {
  if (!asRoot) return
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }))
  chownSync(dir, uid, gid)
}

/** A new cluster in `data`, its superuser trusted. */
export async function initdb(data: string): Promise<void> {
  await asPostgres('initdb', ['-D', data, '-U', superuser, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'])
}

/** A detached watcher: once `owner` has exited, it stops the clusters in `dir` (each in a dir of its own) at once
 *  and removes it. */
export function stopWhenGone(owner: number, dir: string): void {
  const pgCtl = asRoot ? `runuser -u postgres -- ${bin}/pg_ctl` : `${bin}/pg_ctl`
  const stopEach = `for data in "$2"/*/; do [ -f "$data/PG_VERSION" ] && ${pgCtl} -D "$data" -m immediate stop >/dev/null 2>&1; done`
  const script = `while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; ${stopEach}; rm -rf "$2"`
  spawn('sh', ['-c', script, 'stop-postgres', String(owner), dir], { detached: true, stdio: 'ignore' }).unref()
}

async function readyCluster(dir: string): Promise<string> {
  const deadline = Date.now() + startTimeoutMs
  for (;;) {
    if (existsSync(join(dir, 'ready'))) return dir
    if (existsSync(join(dir, 'failed'))) throw new Error(`the run's PostgreSQL failed to start: ${readFileSync(join(dir, 'failed'), 'utf8')}`)
    if (Date.now() > deadline) throw new Error(`the run's PostgreSQL in ${dir} was not ready after ${startTimeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Runs one of PostgreSQL's programs, as the postgres user when this is root. */
export async function asPostgres(program: string, args: string[]): Promise<void> {
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args]
  try {
    await promisify(execFile)(command, commandArgs)
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string }
    throw new Error(`${program} failed: ${stderr || stdout || String(error)}`)
  }
}

/** When a process started (in clock ticks since boot): with its pid, it names the process even once the pid is reused. */
function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!
}

/** One query on a connection of its own: what a test reads or sets behind the service's back. */
export async function queryPostgres<R extends pg.QueryResultRow>(connectionString: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}
