import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { CommandHandler } from '../../../src/platform/command-handler.js'
import { applicationDecider } from '../../../src/applications/decider.js'
import type { ApplicationEvent } from '../../../src/applications/events.js'
import type { InstanceEvent } from '../../../src/instances/events.js'
import { instanceDecider } from '../../../src/instances/decider.js'
import { SqliteEventLog } from '../../../src/platform/eventlog/sqlite.js'
import { unfinishedJobs } from '../../../src/platform/jobs/runner.js'
import type { PendingJob } from '../../../src/platform/jobs/job-set.js'
import { instanceJobs } from '../../../src/instances/jobs/index.js'
import { applicationJobs, deploymentWork } from '../../../src/applications/jobs/index.js'
import { domainEventVersions, readModels } from '../../../src/app/stores.js'
import { applicationQueries } from '../../../projections/applications/projection.js'
import { instanceQueries } from '../../../projections/instances/queries.js'
import { openReadModelDb, ProjectionRunner } from '../../../projections/runner.js'
import { requestedBy, started, statusChanged, uploadRequestedBy } from '../../support/fixtures.js'
import { given } from '../../support/given.js'
import { instanceStream } from '../../../src/instances/events.js'
import { applicationStream } from '../../../src/applications/events.js'

// The runner's start: which jobs a previous run left unfinished. The read models name the candidates; each
// candidate's stream says what is really pending.

async function setup(t: Test) {
  const log = new SqliteEventLog({ path: ':memory:', versions: domainEventVersions })
  const db = openReadModelDb(':memory:')
  const following = new ProjectionRunner(db, readModels).follow(log)
  t.teardown(async () => {
    following.close()
    await log.close()
    db.close()
  })
  const instances = new CommandHandler(log, instanceDecider)
  const applications = new CommandHandler(log, applicationDecider)
  const iq = instanceQueries(db)
  const aq = applicationQueries(db)
  return {
    instance: (...events: InstanceEvent[]) => {
      const id = randomUUID()
      return given(log, instanceStream(id), ...events).then(() => id)
    },
    app: (...events: ApplicationEvent[]) => {
      const id = randomUUID()
      return given(log, applicationStream(id), ...events).then(() => id)
    },
    scan: () =>
      unfinishedJobs([
        instanceJobs({
          instances,
          unfinished: (during, building) => iq.unfinished(during, building),
          withDeployments: () => aq.instancesWithDeployments(),
          deployments: deploymentWork(applications),
        }),
        applicationJobs({ applications, uploadsDir: '', uploading: () => aq.uploading(), ids: () => aq.ids() }),
      ]),
  }
}

const registered = (status: string): InstanceEvent =>
  ({
    type: 'InstanceRegistered',
    data: { owner: 'alice', name: 'reported', instance_info: '{"instance_name": "reported"}', status, failure_message: '' },
  }) as InstanceEvent
const deployRequested = (app: string): InstanceEvent => ({ type: 'AppDeployRequested', data: { app_id: app, name: `${app}.jar`, type: 'BATCH', container: 'c' } })
const onApp = (type: string, app: string, extra: object = {}) => ({ type, data: { app_id: app, ...extra } }) as InstanceEvent
const uploadRequested = uploadRequestedBy('alice', 'a.jar')
const appRegistered: ApplicationEvent = { type: 'AppRegistered', data: { owner: 'alice', name: 'r.jar', description: '', status: '0', failure_message: '' } }
const app = (type: string, data: object = {}) => ({ type, data }) as ApplicationEvent

t.test('an instance we build is resumed; one a service VM registered never is', async (t) => {
  const s = await setup(t)
  const pending = await s.instance(requestedBy('alice', 'pending'))
  // Reporting install stages before the reactor recorded the cluster (the service VM was faster).
  const building = await s.instance(requestedBy('alice', 'building'), statusChanged('10'), statusChanged('14'))
  // STARTED is an install stage too: a service VM may report it before the cluster is recorded.
  const startedEarly = await s.instance(requestedBy('alice', 'started early'), statusChanged('10'), statusChanged('0'))
  const stopping = await s.instance(...started, { type: 'InstanceStopRequested', data: {} })
  const destroying = await s.instance(requestedBy('alice'), statusChanged('11', 'no quota'), { type: 'InstanceDestroyRequested', data: {} })
  await s.instance(...started) // settled
  await s.instance(requestedBy('alice'), statusChanged('11', 'no quota')) // failed: nothing to resume
  // Records of outside service VMs: no master_node_id, statuses that look like a build under way.
  await s.instance(registered('14'))
  await s.instance(registered('0'))
  await s.instance(registered('2'))
  await s.instance(registered('12'), statusChanged('16'))

  t.same(await s.scan(), [
    { id: pending, kind: 'provision' },
    { id: building, kind: 'provision' },
    { id: startedEarly, kind: 'provision' },
    { id: stopping, kind: 'stop' },
    { id: destroying, kind: 'destroy' },
  ] satisfies PendingJob[])
})

t.test('application jobs asked for but not done are resumed, in the order the live path runs them', async (t) => {
  const s = await setup(t)
  const instance = await s.instance(
    ...started,
    deployRequested('a1'), // deploy pending
    deployRequested('a2'),
    onApp('AppDeployed', 'a2'),
    onApp('AppStartRequested', 'a2', { execution_environment_name: '' }), // start pending
    deployRequested('a3'),
    onApp('AppDeployed', 'a3'),
    onApp('AppWithdrawRequested', 'a3'), // withdraw pending
    deployRequested('a4'),
    onApp('AppDeployed', 'a4'),
    onApp('AppStartRequested', 'a4', { execution_environment_name: '' }),
    onApp('AppStarted', 'a4'),
    onApp('AppStopRequested', 'a4', { execution_environment_name: '' }), // stop pending
    deployRequested('a5'),
    onApp('AppDeployed', 'a5'), // settled
    deployRequested('a6'),
    onApp('AppDeployFailed', 'a6', { failure_message: 'no' }), // settled
  )
  // Asked for, then the instance was stopped: only the deploy is left (stopping stopped every job).
  const stopped = await s.instance(...started, deployRequested('b1'), onApp('AppStartRequested', 'b1', { execution_environment_name: '' }), { type: 'InstanceStopRequested', data: {} })
  const settled = await s.instance(...started, deployRequested('c1'), onApp('AppDeployed', 'c1'))

  const jobs = await s.scan()
  t.same(jobs, [
    { id: stopped, kind: 'app-deploy', arg: 'b1' },
    { id: stopped, kind: 'stop' },
    { id: instance, kind: 'app-deploy', arg: 'a1' },
    { id: instance, kind: 'app-start', arg: 'a2' },
    { id: instance, kind: 'app-withdraw', arg: 'a3' },
    { id: instance, kind: 'app-stop', arg: 'a4' },
  ] satisfies PendingJob[])
  t.notOk(jobs.some((job) => job.id === settled), 'nothing pending on a settled instance')
})

t.test('uploads and deletes of applications are resumed', async (t) => {
  const s = await setup(t)
  const uploading = await s.app(uploadRequested)
  const deleting = await s.app(uploadRequested, app('AppUploaded'), app('AppDeleteRequested'))
  const deletingWhileUploading = await s.app(uploadRequested, app('AppDeleteRequested'))
  const registeredDeleting = await s.app(appRegistered, app('AppDeleteRequested'))
  await s.app(uploadRequested, app('AppUploaded')) // settled
  await s.app(uploadRequested, app('AppUploaded'), app('AppDeleteRequested'), app('AppDeleteFailed', { failure_message: 'Pithos said no' }))
  await s.app(uploadRequested, app('AppUploaded'), app('AppDeleteRequested'), app('AppDeleted'))

  t.same(await s.scan(), [
    { id: uploading, kind: 'upload' },
    { id: deletingWhileUploading, kind: 'upload' },
    { id: deleting, kind: 'delete-app' },
    { id: deletingWhileUploading, kind: 'delete-app' },
    { id: registeredDeleting, kind: 'delete-app' },
  ] satisfies PendingJob[])
})
