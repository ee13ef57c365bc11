import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'

// A relay between the service and the test run's PostgreSQL, on a Unix socket of its own, that a test can stall (it
// keeps accepting, and passes nothing on: a host that hangs) and cut (every connection dropped, none accepted: the
// primary gone), since the run's cluster is shared and never stopped. Nothing of the database is imitated: every
// byte is PostgreSQL's own, until the relay stops passing them.

export interface PostgresRelay {
  /** The database's connection string through the relay. */
  connectionString: string
  /** From now on nothing passes either way; resolves once a client has sent something that was held back. */
  stall(): Promise<void>
  /** Drops every connection and accepts no more. */
  cut(): void
}

export async function postgresRelay(t: Test, connectionString: string): Promise<PostgresRelay> {
  const match = /^postgresql:\/\/([^@]+)@\/([^?]+)\?host=(.+)$/.exec(connectionString)
  if (!match) throw new Error('a connection string of test/support/postgres.ts was expected')
  const [, user, database, host] = match
  const target = join(decodeURIComponent(host!), '.s.PGSQL.5432')
  const dir = mkdtempSync(join(tmpdir(), 'lod-test-relay-'))
  const sockets = new Set<Socket>()
  let stalled = false
  let held: (() => void) | undefined
  const server = createServer((client) => {
    const upstream = createConnection(target)
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from)
      from.on('data', (chunk) => {
        if (!stalled) return void to.write(chunk)
        if (from === client) held?.()
      })
      from.on('error', () => to.destroy())
      from.on('close', () => {
        sockets.delete(from)
        to.destroy()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(join(dir, '.s.PGSQL.5432'), resolve))
  const cut = () => {
    server.close()
    for (const socket of sockets) socket.destroy()
  }
  t.teardown(() => {
    cut()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    connectionString: `postgresql://${user}@/${database}?host=${encodeURIComponent(dir)}`,
    stall: () =>
      new Promise<void>((resolve) => {
        stalled = true
        held = resolve
      }),
    cut,
  }
}
