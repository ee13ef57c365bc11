import t from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CommandHandler } from '../../../src/platform/command-handler.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { JobNotReady, type JobRuntime } from '../../../src/platform/jobs/context.js'
import { applicationDecider } from '../../../src/applications/decider.js'
import { applicationStream } from '../../../src/applications/events.js'
import { ApplicationJob } from '../../../src/applications/jobs/context.js'
import { storeUpload } from '../../../src/applications/jobs/uploads.js'
import { domainEventVersions } from '../../../src/app/stores.js'
import { uploadRequestedBy } from '../../support/fixtures.js'
import { given } from '../../support/given.js'

// An upload whose owner's token is not kept yet is tried again shortly: its jar must wait on disk till then. Once
// the job is too old to wait, the upload fails as before, and the jar goes.

t.test("an upload waiting for the owner's token keeps its jar; one that gives up removes it", async (t) => {
  const log = new SqliteEventLog({ path: ':memory:', versions: domainEventVersions })
  t.teardown(() => log.close())
  const applications = new CommandHandler(log, applicationDecider)
  const uploadsDir = t.testdir()
  const id = randomUUID()
  await given(log, applicationStream(id), uploadRequestedBy('alice'))
  const jar = join(uploadsDir, `${id}.jar`)
  writeFileSync(jar, 'x')
  const job = (justAsked: boolean) => {
    const runtime: JobRuntime = { secrets: { get: () => undefined } as unknown as JobRuntime['secrets'], settings: undefined as never, stopping: () => false, justAsked }
    return new ApplicationJob(runtime, id, 'applications', applications, uploadsDir)
  }

  t.type(await storeUpload(job(true)).catch((error: unknown) => error), JobNotReady)
  t.ok(existsSync(jar), 'the jar waits')
  await storeUpload(job(false))
  t.notOk(existsSync(jar), 'the jar is gone')
  t.match((await log.readStream(applicationStream(id))).at(-1), { type: 'AppUploadFailed', data: { failure_message: /No ~okeanos token of the owner/ } })
})
