/**
 * What the emulator keeps of one master VM: a small filesystem (the personality files, the original's
 * Flink run scripts, whatever is uploaded), the two supervisord jobs of flink-apps.yml and the Flink
 * jobs they submitted (docs/original.md "Applications"). Uploaded files live in the blob store (blobs.ts), not in
 * memory. The programs that act on it are in master-programs.ts.
 *
 * Files survive a reboot (it is a disk); jobs do not (supervisord does not autostart them, and the
 * Flink cluster restarts empty).
 */
import { createHash } from 'node:crypto'
import { FLINK_HOME, RUN_SCRIPT, SUPERVISOR_JOB, type JobType } from '../../cluster/commands.js'
import type { SupervisorState } from '../../cluster/outputs.js'
import type { BlobRef, BlobStore } from './blobs.js'
import type { PersonalityFile } from './state.js'

/** A file: small ones (scripts, personality) in memory, uploads in the blob store. */
export type VmFile = { data: Buffer; modified: string } | { blob: BlobRef; modified: string }

export interface SupervisedJob {
  state: SupervisorState
  /** When the state was entered (ms). */
  since: number
  pid?: number
  /** The JARFILE the job was spawned with (absolute). */
  jar?: string
  /** Why it is FATAL. */
  reason?: string
}

export interface FlinkJob {
  id: string
  /** execution_environment_name, as the job was submitted with. */
  name: string
  state: 'RUNNING'
  started: Date
}

export interface VmFileInfo {
  path: string
  bytes: number
  md5: string
}

/** The original's scripts (roles/apache-flink/files), as the flink role installs them. */
export const INITIAL_RUN_SCRIPTS: Readonly<Record<JobType, string>> = {
  batch: '#!/bin/bash\n\nexport JARFILE=example.jar\n\n/usr/local/flink/bin/flink run $JARFILE\n\n',
  streaming: [
    '#!/bin/bash',
    '',
    'export JARFILE=example.jar',
    '',
    'execution_environment_name=""',
    '',
    'function finish {',
    '  id="$(/usr/local/flink/bin/flink list | grep "$execution_environment_name" | cut -f4 -d" ")"',
    '',
    '  /usr/local/flink/bin/flink cancel $id',
    '}',
    '',
    'if [ "$execution_environment_name" != "" ]',
    'then',
    '  trap finish EXIT',
    'fi',
    '',
    '/usr/local/flink/bin/flink run $JARFILE',
    '',
    '',
  ].join('\n'),
}

const stoppedJob = (): SupervisedJob => ({ state: 'STOPPED', since: 0 })

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export class MasterVm {
  readonly files = new Map<string, VmFile>()
  readonly dirs = new Set<string>(['/', '/etc', '/home', '/root', '/tmp', FLINK_HOME])
  jobs: Record<JobType, SupervisedJob> = { batch: stoppedJob(), streaming: stoppedJob() }
  flinkJobs: FlinkJob[] = []
  private nextPid = 2201

  constructor(
    readonly serverId: number,
    personality: PersonalityFile[],
    /** The server's boot count this state belongs to. */
    public boots: number,
  ) {
    const now = new Date().toISOString()
    for (const p of personality) this.putSmall(p.path, Buffer.from(p.contents, 'base64'), now)
    for (const type of ['batch', 'streaming'] as const) this.putSmall(RUN_SCRIPT[type], Buffer.from(INITIAL_RUN_SCRIPTS[type]), now)
  }

  /** The server booted again: the processes are gone, the disk stays. */
  reboot(boots: number): void {
    this.boots = boots
    this.jobs = { batch: stoppedJob(), streaming: stoppedJob() }
    this.flinkJobs = []
  }

  isDir(path: string): boolean {
    return this.dirs.has(path)
  }

  /** Set a file, creating its directories (personality files may go anywhere). */
  private putSmall(path: string, data: Buffer, modified: string): void {
    for (let dir = parentOf(path); !this.dirs.has(dir); dir = parentOf(dir)) this.dirs.add(dir)
    this.files.set(path, { data, modified })
  }

  /** Replace a file's contents; answers the blob it replaced (for the caller to free). */
  put(path: string, file: VmFile): BlobRef | undefined {
    const previous = this.files.get(path)
    this.files.set(path, file)
    return previous && 'blob' in previous ? previous.blob : undefined
  }

  /** Remove a file; answers its blob, if any (for the caller to free). */
  delete(path: string): BlobRef | undefined {
    const previous = this.files.get(path)
    this.files.delete(path)
    return previous && 'blob' in previous ? previous.blob : undefined
  }

  /** The names directly under `dir`, files and directories, sorted. */
  list(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`
    const names = new Set<string>()
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) names.add(p.slice(prefix.length))
    }
    return [...names].sort()
  }

  async read(path: string, blobs: BlobStore): Promise<Buffer> {
    const f = this.files.get(path)
    if (!f) throw new Error(`no file ${path}`)
    return 'data' in f ? f.data : blobs.readAll(f.blob)
  }

  pid(): number {
    return this.nextPid++
  }

  fileInfo(): VmFileInfo[] {
    return [...this.files.entries()]
      .map(([path, f]) =>
        'data' in f
          ? { path, bytes: f.data.length, md5: createHash('md5').update(f.data).digest('hex') }
          : { path, bytes: f.blob.bytes, md5: f.blob.md5 },
      )
      .sort((a, b) => a.path.localeCompare(b.path))
  }

  /** Every blob this VM holds (to free them when the server is deleted). */
  blobs(): BlobRef[] {
    return [...this.files.values()].flatMap((f) => ('blob' in f ? [f.blob] : []))
  }

  jobsInfo() {
    const job = (type: JobType) => {
      const j = this.jobs[type]
      return { name: SUPERVISOR_JOB[type], state: j.state, jar: j.jar ?? null, pid: j.pid ?? null, since: j.since ? new Date(j.since).toISOString() : null }
    }
    return {
      batch: job('batch'),
      streaming: job('streaming'),
      flink: this.flinkJobs.map((j) => ({ id: j.id, name: j.name, state: j.state, started: j.started.toISOString() })),
    }
  }
}
