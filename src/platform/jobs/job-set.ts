import type { JobsAskedFor, RecordedEvent } from '../eventlog/port.js'
import { streamId } from '../streams.js'
import type { JobRuntime } from './context.js'

// What a slice tells about its jobs: which events ask for which job (the log writes the jobs they ask for), and,
// to the job runner, how each job is done and how a failed one ends, and how to find the jobs a log written before
// it had a job table left undone. The runner knows no job but these.

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

/** What an append has of an event: enough to tell which job it asks for. */
export type AskingEvent = Pick<RecordedEvent, 'stream' | 'type' | 'data'>

/** By event type: the job an event asks for, on the event's stream. */
export type JobAsks = Readonly<Record<string, (event: AskingEvent) => AskedJob>>

/** The slices' asks as the logs take them (their `jobs` option): each event type asks for jobs of one slice. */
export function jobsAskedBy(slices: readonly JobAsks[]): JobsAskedFor {
  const byType = new Map<string, (event: AskingEvent) => AskedJob>()
  for (const asks of slices)
    for (const [type, ask] of Object.entries(asks)) {
      if (byType.has(type)) throw new Error(`two job sets take the event ${type}`)
      byType.set(type, ask)
    }
  return (stream, type, data) => {
    const ask = byType.get(type)
    return ask && { id: streamId(stream), ...ask({ stream, type, data }) }
  }
}

export interface JobSet<Context = unknown> {
  jobs: Readonly<Record<string, Job<Context>>>
  /** What a job works with, on the stream of `id`, recording as `reactor`. */
  context(runtime: JobRuntime, id: string, reactor: string): Context
  /** The jobs left undone, of each stream in the order they were asked for: the read models name the candidates,
   *  their streams say what is still pending. A log written before it had a job table is seeded with them once. */
  unfinished(): Promise<PendingJob[]>
}
