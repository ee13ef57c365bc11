import t from 'tap'
import { randomUUID } from 'node:crypto'
import { CommandHandler } from '../../../src/platform/command-handler.js'
import { LeaseLostError } from '../../../src/platform/eventlog/port.js'
import { instanceDecider } from '../../../src/instances/decider.js'
import { instanceStream } from '../../../src/instances/events.js'
import { InstanceJob } from '../../../src/instances/jobs/context.js'
import { instanceJobAsks } from '../../../src/instances/jobs/index.js'
import { InstanceStatus } from '../../../src/instances/statuses.js'
import { requestedBy } from '../../support/fixtures.js'
import { given } from '../../support/given.js'
import { logWithJobs } from '../../support/job-queue.js'

// What a job on an instance records carries its lease: once the lease is gone, the job cannot write.

t.test("an instance job's records hold only while its lease does", async (t) => {
  const { log, queue, runtime } = logWithJobs(t, instanceJobAsks)
  const instances = new CommandHandler(log, instanceDecider)
  const id = randomUUID()
  await given(log, instanceStream(id), requestedBy('alice'))

  const first = (await queue.claim('w', 30_000))!
  t.match(first, { id, kind: 'provision' })
  await queue.release(first.lease)
  const late = new InstanceJob({ ...runtime, lease: first.lease }, id, 'provisioning', instances)
  await t.rejects(late.setStatus(InstanceStatus.FAILED, 'too late'), LeaseLostError)
  t.equal((await log.readStream(instanceStream(id))).length, 1, 'nothing recorded')

  const second = (await queue.claim('w', 30_000))!
  await new InstanceJob({ ...runtime, lease: second.lease }, id, 'provisioning', instances).setStatus(InstanceStatus.FAILED, 'in time')
  t.same((await log.readStream(instanceStream(id))).map((e) => e.type), ['InstanceRequested', 'InstanceStatusChanged'])
})
