import type { RecordedEvent } from '../eventlog/port.js'
import type { JobRuntime } from './context.js'

// What a slice tells the job runner about its jobs: which events ask for which job, how each job is done and how
// a failed one ends, and how to find the jobs a previous run left undone. The runner knows no job but these.

/** A job as an event asks for it: its kind (unique across the job sets), and what it is about besides the
 *  event's stream (an application). */
export interface AskedJob {
  kind: string
  arg?: string
}

/** A job asked for and not done yet: the id of the stream it works on, and the job. */
export interface PendingJob extends AskedJob {
  id: string
}

export interface Job<Context> {
  /** Who does it: the actor of what it records. */
  reactor: string
  run(job: Context, arg: string): Promise<void>
  /** How a job that failed (threw) ends, e.g. in a status that says so; without it, the failure is only reported. */
  failed?(job: Context, error: unknown): Promise<void>
}

export interface JobSet<Context = unknown> {
  /** By event type: the job an event asks for, on the event's stream. */
  asks: Readonly<Record<string, (event: RecordedEvent) => AskedJob>>
  jobs: Readonly<Record<string, Job<Context>>>
  /** What a job works with, on the stream of `id`, recording as `reactor`. */
  context(runtime: JobRuntime, id: string, reactor: string): Context
  /** The jobs a previous run left undone, of each stream in the order they were asked for: the read models name
   *  the candidates, their streams say what is still pending. */
  unfinished(): Promise<PendingJob[]>
}
