import t, { type Test } from 'tap'
import { instanceDecider, type Instance } from '../../../src/instances/decider.js'
import type { InstanceEvent } from '../../../src/instances/events.js'
import { unfinishedOf } from '../../../src/instances/jobs/index.js'
import type { AskedJob } from '../../../src/platform/jobs/job-set.js'
import { requestedBy, started, statusChanged } from '../../support/fixtures.js'

// Which jobs an instance's history leaves undone (what a restart queues again), given its events: application
// jobs first, in the order they run, then the lifecycle job its status says is under way.

const given = (...history: InstanceEvent[]) => ({
  thenUndone(t: Test, expected: AskedJob[]) {
    const instance = history.reduce(instanceDecider.evolve, instanceDecider.initialState()) as Instance
    t.same(unfinishedOf(instance), expected)
  },
})

const onApp = (type: string, app: string, extra: object = {}) => ({ type, data: { app_id: app, ...extra } }) as InstanceEvent
const deployRequested = (app: string) => onApp('AppDeployRequested', app, { name: `${app}.jar`, type: 'BATCH', container: 'c' })
const registered = (status: string): InstanceEvent =>
  ({ type: 'InstanceRegistered', data: { owner: 'alice', name: 'r', instance_info: '{}', status, failure_message: '' } }) as InstanceEvent

t.test('a requested instance is built, until its cluster is recorded or its build failed', async (t) => {
  given(requestedBy('alice')).thenUndone(t, [{ kind: 'provision' }])
  given(requestedBy('alice'), statusChanged('10'), statusChanged('14')).thenUndone(t, [{ kind: 'provision' }])
  given(...started).thenUndone(t, [])
  given(requestedBy('alice'), statusChanged('11', 'no quota')).thenUndone(t, [])
})

t.test('an instance a service VM registered is never built', async (t) => {
  for (const status of ['2', '14', '0']) given(registered(status)).thenUndone(t, [])
})

t.test('a start, stop or destroy asked for is under way until its status changes', async (t) => {
  given(...started, { type: 'InstanceStopRequested', data: {} }).thenUndone(t, [{ kind: 'stop' }])
  given(...started, { type: 'InstanceStopRequested', data: {} }, statusChanged('1'), { type: 'InstanceStartRequested', data: {} }).thenUndone(t, [
    { kind: 'start' },
  ])
  given(requestedBy('alice'), statusChanged('11', 'no quota'), { type: 'InstanceDestroyRequested', data: {} }).thenUndone(t, [{ kind: 'destroy' }])
})

t.test("an application's jobs come before the lifecycle job, a deploy before the start that needs its jar", async (t) => {
  given(...started, deployRequested('a'), onApp('AppStartRequested', 'a', { execution_environment_name: '' })).thenUndone(t, [
    { kind: 'app-deploy', arg: 'a' },
    { kind: 'app-start', arg: 'a' },
  ])
  // Stopping the instance stopped every job: the deploy is left, then the stop.
  given(...started, deployRequested('a'), onApp('AppStartRequested', 'a', { execution_environment_name: '' }), { type: 'InstanceStopRequested', data: {} }).thenUndone(t, [
    { kind: 'app-deploy', arg: 'a' },
    { kind: 'stop' },
  ])
  given(...started, deployRequested('a'), onApp('AppDeployed', 'a'), onApp('AppWithdrawRequested', 'a')).thenUndone(t, [{ kind: 'app-withdraw', arg: 'a' }])
  given(...started, deployRequested('a'), onApp('AppDeployFailed', 'a', { failure_message: 'no' })).thenUndone(t, [])
})
