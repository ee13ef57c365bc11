import type Database from 'better-sqlite3'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

// The checkpoints of the SQLite log's write-ahead log, kept off the commit path. SQLite's own (wal_autocheckpoint)
// run in the connection that commits, right after its commit: the copy of the WAL's pages into the database file
// and that file's fsync then hold the event loop and every append waiting for the next commit, for longer than
// the commit took. Here a thread of its own copies them while the log goes on committing.
//
// Durability does not depend on checkpoints: a commit is durable once its frames are in the WAL, fsync'd
// (synchronous=FULL), and a checkpoint only copies committed pages into the database file, fsyncs it, and only then
// lets the WAL be written over from its start. A crash at any point leaves every committed frame in the WAL or
// in the fsync'd file, and opening the file again replays the WAL.
//
// While the log goes on committing, a checkpoint running beside it never finds the WAL all copied (new frames
// arrive while it copies), and only an all-copied WAL starts over from its beginning: left alone it would grow
// without end. So once the WAL has grown past its limit, the thread says so, and the log checkpoints once itself
// right after a commit, when no commit of this process can come in between; most pages have been copied by then, so
// that checkpoint is short, and the next commit starts the WAL over. Readers still using the WAL (another process's)
// can stop that too: past four times the limit, the log's checkpoint is a RESTART, which waits for them (reads are
// short) and keeps new commits waiting meanwhile. Other processes on the file (a `lod reactors` beside `lod serve`)
// checkpoint the same way; a checkpoint that finds another one running skips its turn.

/** How often the thread checkpoints while the log commits: each checkpoint fsyncs the database file once. */
const intervalMs = 100
/** The WAL's length past which the log checkpoints itself, by default: 32 MiB of 4 KiB pages. */
export const defaultWalLimitPages = 8000

// The slots of the state shared with the thread.
const commits = 0
const stop = 1
/** 0, or how the log should checkpoint after its next commit: 1 PASSIVE, 2 RESTART. */
const wanted = 2
/** Held by whoever checkpoints in this process, so that neither waits for the other's checkpoint. */
const busy = 3

// Plain JavaScript, so that the thread loads under any TypeScript loader or none. It sleeps in Atomics.wait until
// a commit, then once per interval. A WAL all copied starts over at the next commit, unless readers hold it.
const source = `
const { workerData } = require('node:worker_threads')
const Database = require(workerData.sqlite)
const state = new Int32Array(workerData.state)
const db = new Database(workerData.path, { fileMustExist: true })
try {
  // The checkpoint fsyncs the database file before the WAL may be written over (synchronous=OFF would not).
  db.pragma('synchronous = FULL')
  let seen = 0
  while (Atomics.load(state, ${stop}) === 0) {
    Atomics.wait(state, ${commits}, seen)
    Atomics.wait(state, ${stop}, 0, ${intervalMs})
    if (Atomics.load(state, ${stop}) !== 0) break
    seen = Atomics.load(state, ${commits})
    if (Atomics.compareExchange(state, ${busy}, 0, 1) !== 0) continue
    try {
      const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)')
      const want = log <= workerData.limit ? 0 : log <= 4 * workerData.limit ? 1 : 2
      Atomics.store(state, ${wanted}, want)
    } finally {
      Atomics.store(state, ${busy}, 0)
    }
  }
} finally {
  db.close()
}`

export interface WalCheckpoints {
  /** After each commit of the log. */
  committed(): void
  close(): Promise<void>
}

/** Checkpoints for the log on `db` (a file: a database in memory has no WAL), from now on. */
export function walCheckpoints(
  db: Database.Database,
  path: string,
  limitPages: number,
  onError: (error: unknown) => void,
): WalCheckpoints {
  const state = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT))
  db.pragma('wal_autocheckpoint = 0')
  // A WAL that grew long while readers held it is cut back to the limit when it starts over.
  db.pragma(`journal_size_limit = ${limitPages * (db.pragma('page_size', { simple: true }) as number)}`)
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3')
  // No loader in the thread (the process's --import would start one there too): it needs none.
  const worker = new Worker(source, { eval: true, execArgv: [], workerData: { path, sqlite, limit: limitPages, state: state.buffer } })
  worker.unref()
  let done = false
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  const stopped = (error: unknown) => {
    if (done) return
    done = true
    // Without the thread, SQLite's own checkpoints take over again.
    db.pragma('wal_autocheckpoint = 1000')
    onError(error)
  }
  worker.on('error', stopped)
  worker.on('exit', (code) => stopped(new Error(`the WAL checkpoint thread stopped (exit code ${code})`)))

  const checkpoint = () => {
    const want = Atomics.load(state, wanted)
    if (done || want === 0 || Atomics.compareExchange(state, busy, 0, 1) !== 0) return
    try {
      // Asked once: if readers kept the WAL from starting over, the thread asks again.
      Atomics.store(state, wanted, 0)
      db.pragma(`wal_checkpoint(${want === 2 ? 'RESTART' : 'PASSIVE'})`)
    } catch (error) {
      onError(error)
    } finally {
      Atomics.store(state, busy, 0)
    }
  }

  return {
    committed() {
      Atomics.add(state, commits, 1)
      Atomics.notify(state, commits)
      // After the appends of this commit are answered, and before the next commit.
      if (Atomics.load(state, wanted) !== 0) setImmediate(checkpoint)
    },
    async close() {
      done = true
      // Unreferenced so far, so that the thread never keeps a process alive; now the process waits for it.
      worker.ref()
      Atomics.store(state, stop, 1)
      Atomics.notify(state, commits)
      Atomics.notify(state, stop)
      await exited
    },
  }
}
