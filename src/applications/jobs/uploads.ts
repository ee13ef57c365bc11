import { createReadStream, existsSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { isNotFound } from '../../okeanos/index.js'
import { failureMessage, JobAbandoned, JobNotReady } from '../../platform/jobs/context.js'
import { ApplicationStatus } from '../statuses.js'
import type { ApplicationJob } from './context.js'

// Applications on Pithos (docs/original.md "Applications"): store an upload, delete it. Every outcome is recorded: a failed one
// leaves the application as it was and says why.

/** The jar waiting on disk goes to the project's Pithos container; the disk copy goes either way, unless the job is
 *  tried again shortly. */
export async function storeUpload(job: ApplicationJob): Promise<void> {
  const app = await job.application()
  if (app.status !== ApplicationStatus.UPLOADING) return
  const file = join(job.uploadsDir, `${job.applicationId}.jar`)
  let triedAgain = false
  try {
    if (!existsSync(file)) throw new Error('The uploaded file was lost before it reached Pithos; upload it again.')
    const ok = await job.okeanos()
    await job.call(() => ok.pithos.createContainer(app.container, app.projectId))
    // A stream cannot be replayed, so this PUT is tried once; the upload can be repeated by the user.
    await ok.pithos.putObjectStream(app.container, app.name, createReadStream(file), { size: statSync(file).size })
    await job.record({ type: 'RecordUploaded', id: job.applicationId })
  } catch (error) {
    triedAgain = error instanceof JobNotReady
    if (error instanceof JobAbandoned) throw error
    await job.record({ type: 'RecordUploadFailed', id: job.applicationId, failureMessage: failureMessage(error) })
  } finally {
    // A job tried again in a moment needs the jar still.
    if (!triedAgain) await rm(file, { force: true })
  }
}

/** As the original: an object Pithos no longer has is deleted all the same; any other failure keeps the record. */
export async function deleteUpload(job: ApplicationJob): Promise<void> {
  const app = await job.application()
  if (!app.deleting) return
  try {
    if (app.container) {
      const ok = await job.okeanos()
      await job.call(async () => {
        try {
          await ok.pithos.deleteObject(app.container, app.name)
        } catch (error) {
          if (!isNotFound(error)) throw error
        }
      })
    }
    await job.record({ type: 'RecordDeleted', id: job.applicationId })
  } catch (error) {
    if (error instanceof JobAbandoned) throw error
    await job.record({ type: 'RecordDeleteFailed', id: job.applicationId, failureMessage: failureMessage(error) })
  }
}
