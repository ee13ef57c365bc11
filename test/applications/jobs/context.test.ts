import t from 'tap'
import { randomUUID } from 'node:crypto'
import { CommandHandler } from '../../../src/platform/command-handler.js'
import { LeaseLostError } from '../../../src/platform/eventlog/port.js'
import { applicationDecider } from '../../../src/applications/decider.js'
import { applicationStream } from '../../../src/applications/events.js'
import { ApplicationJob } from '../../../src/applications/jobs/context.js'
import { applicationJobAsks } from '../../../src/applications/jobs/index.js'
import { uploadRequestedBy } from '../../support/fixtures.js'
import { given } from '../../support/given.js'
import { logWithJobs } from '../../support/job-queue.js'

// What a job on an application records carries its lease: once the lease is gone, the job cannot write.

t.test("an application job's records hold only while its lease does", async (t) => {
  const { log, queue, runtime } = logWithJobs(t, applicationJobAsks)
  const applications = new CommandHandler(log, applicationDecider)
  const id = randomUUID()
  await given(log, applicationStream(id), uploadRequestedBy('alice'))
  const job = (lease: { job: number; token: string }) => new ApplicationJob({ ...runtime, lease }, id, 'applications', applications, '')

  const first = (await queue.claim('w', 30_000))!
  t.match(first, { id, kind: 'upload' })
  await queue.release(first.lease)
  await t.rejects(job(first.lease).record({ type: 'RecordUploaded', id }), LeaseLostError)
  t.equal((await log.readStream(applicationStream(id))).length, 1, 'nothing recorded')

  const second = (await queue.claim('w', 30_000))!
  await job(second.lease).record({ type: 'RecordUploaded', id })
  t.same((await log.readStream(applicationStream(id))).map((e) => e.type), ['AppUploadRequested', 'AppUploaded'])
})
