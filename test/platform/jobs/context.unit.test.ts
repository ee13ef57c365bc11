import t from 'tap'
import { JobContext, JobFailed, JobNotReady, type JobRuntime } from '../../../src/platform/jobs/context.js'

// A job that finds no owner's token: moments after it was asked for, the request may not have kept it yet (it
// keeps it once its append is acknowledged), so the job is tried again; later, it fails with the original's words.

const noToken = (justAsked: boolean): JobRuntime => ({
  secrets: { get: () => undefined } as unknown as JobRuntime['secrets'],
  settings: undefined as never,
  stopping: () => false,
  justAsked,
})

t.test("a job just asked for waits for the owner's token; an older one fails without it", async (t) => {
  const message = 'No ~okeanos token of the owner is known; repeat the request.'
  const waits = await new JobContext(noToken(true), 'i-1').okeanos().catch((error: unknown) => error)
  t.type(waits, JobNotReady)
  t.equal((waits as Error).message, message)
  const failed = await new JobContext(noToken(false), 'i-1').okeanos().catch((error: unknown) => error)
  t.type(failed, JobFailed)
  t.notOk(failed instanceof JobNotReady)
  t.equal((failed as Error).message, message)
})
