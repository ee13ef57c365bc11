import type { Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { runCli } from '../../src/cli/program.js'
import { createBody, requestedBy, startHarness, type Harness } from './harness.js'
import { instanceStream } from '../../src/instances/events.js'
import { tempDir } from './temp-dir.js'

// The CLI's tests run `lod` in-process against a data directory written by the real service (the HTTP API on an
// emulated ~okeanos), as an operator would after the fact.

export interface LodRun {
  code: number
  out: string
  err: string
  lines: string[]
}

export async function lod(
  args: string[],
  options: { signal?: AbortSignal; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<LodRun> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, {
    out: (line) => {
      out.push(line)
      options.onLine?.(line)
    },
    err: (line) => err.push(line),
    progress: Object.assign(new (await import('node:stream')).PassThrough(), { isTTY: false }),
    signal: options.signal ?? new AbortController().signal,
    env: options.env ?? {},
  })
  return { code, out: out.join('\n'), err: err.join('\n'), lines: out.join('\n').split('\n') }
}

/** The service with its files in a fresh directory; with `postgres`, its log in a fresh PostgreSQL database and
 *  only its read models there. */
export async function serviceWithData(t: Test, { postgres = false } = {}): Promise<Harness & { dataDir: string }> {
  const dataDir = tempDir(t)
  const h = await startHarness(t, { dataDir, synchronous: 'normal', processMetrics: false, postgres })
  return Object.assign(h, { dataDir })
}

/** Creates an instance through the API and reports its install stages as its service VM would. */
export async function createdAndStarted(h: Harness, stages = ['10', '12', '14', '16', '18', '20', '22', '0']): Promise<string> {
  const created = await h.call('POST', '/api/lambda-instance/', { payload: createBody })
  if (created.statusCode !== 202) throw new Error(`create: ${created.statusCode} ${created.body}`)
  const id = created.json().data[0].id as string
  for (const status of stages) await reportStatus(h, id, status)
  return id
}

export async function reportStatus(h: Harness, id: string, status: string, failure_message = ''): Promise<void> {
  const reply = await h.call('POST', `/api/lambda_instances/${id}/status/`, { payload: { status, failure_message } })
  if (reply.statusCode !== 202) throw new Error(`status ${status}: ${reply.statusCode} ${reply.body}`)
}

/** Appends `count` instances of `owner`, each with its install stages, in one group commit: a log big enough to
 *  take a rebuild some time, written in a moment. */
export async function seedInstances(h: Harness, owner: string, count: number, stages = ['10', '12', '14', '16', '18', '20', '22', '0']): Promise<string[]> {
  const { randomUUID } = await import('node:crypto')
  const ids = Array.from({ length: count }, () => randomUUID())
  await Promise.all(
    ids.map((id) =>
      h.service.log.append(
        instanceStream(id),
        [
          { id: randomUUID(), ...requestedBy(owner, `seed-${id}`), metadata: { actor: owner } },
          ...stages.map((status) => ({ id: randomUUID(), type: 'InstanceStatusChanged', data: { status, failure_message: '', source: 'service-vm' }, metadata: { actor: 'service-vm' } })),
        ],
        'no_stream',
      ),
    ),
  )
  return ids
}

/** An instance's status code in a read model file (a replay's, say). */
export function statusIn(file: string, id: string): string | undefined {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare<[string], { status: string }>('SELECT status FROM instances WHERE id = ?').get(id)?.status
  } finally {
    db.close()
  }
}

/** A moment between two commits, a little after the last: its time, and the log's position then. */
export async function aMomentLater(h: Harness): Promise<{ time: string; position: number }> {
  await sleep(5)
  const time = new Date().toISOString()
  const position = await h.service.log.headPosition()
  await sleep(5)
  return { time, position }
}
