import t from 'tap'
import type { DeploymentEvent } from '../../src/instances/deployment-events.js'
import { decideDeployment, deploymentMessages, deploymentsAfterStatus, evolveDeployments, type AppRef, type Deployments } from '../../src/instances/deployments.js'
import { Rejection } from '../../src/platform/rejection.js'

// The job-slot rule (docs/original.md "Applications"): one batch and one streaming job per instance, decided by the instance.

const batch = (id: string): AppRef => ({ kind: 'jar', id, name: `${id}.jar`, type: 'BATCH', container: 'c', executionEnvironmentName: 'env' })
const fold = (events: DeploymentEvent[]): Deployments => events.reduce(evolveDeployments, {})
const deployed = (id: string): DeploymentEvent[] => [
  { type: 'AppDeployRequested', data: { app_id: id, name: `${id}.jar`, type: 'BATCH', container: 'c' } },
  { type: 'AppDeployed', data: { app_id: id } },
]
const refusal = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error instanceof Rejection ? [error.kind, error.detail] : error
  }
  return undefined
}

t.test('a start takes the slot at once; a second batch start is refused', async (t) => {
  const given = fold([...deployed('a'), ...deployed('b'), { type: 'AppStartRequested', data: { app_id: 'a', execution_environment_name: 'env' } }])
  t.same(refusal(() => decideDeployment({ type: 'StartApp', app: batch('b') }, '0', given)), ['conflict', deploymentMessages.slotTaken('BATCH')])
})
t.test('a failed start gives the slot back', async (t) => {
  const given = fold([...deployed('a'), ...deployed('b'), { type: 'AppStartRequested', data: { app_id: 'a', execution_environment_name: '' } }, { type: 'AppJobFailed', data: { app_id: 'a', action: 'start', failure_message: 'x' } }])
  t.same(decideDeployment({ type: 'StartApp', app: batch('b') }, '0', given), [{ type: 'AppStartRequested', data: { app_id: 'b', execution_environment_name: 'env' } }])
})
t.test('a failed stop leaves the job running', async (t) => {
  const given = fold([...deployed('a'), { type: 'AppStartRequested', data: { app_id: 'a', execution_environment_name: '' } }, { type: 'AppStarted', data: { app_id: 'a' } }, { type: 'AppStopRequested', data: { app_id: 'a', execution_environment_name: '' } }, { type: 'AppJobFailed', data: { app_id: 'a', action: 'stop', failure_message: 'x' } }])
  t.equal(given.a!.job, 'started')
})
t.test('stopping the instance frees every slot; destroying it drops the deployments', async (t) => {
  const running = fold([...deployed('a'), { type: 'AppStartRequested', data: { app_id: 'a', execution_environment_name: '' } }, { type: 'AppStarted', data: { app_id: 'a' } }])
  t.equal(deploymentsAfterStatus(running, '4').a!.job, 'stopped')
  t.same(deploymentsAfterStatus(running, '5'), {})
})
t.test('order of checks: application missing, then instance status, then deployment', async (t) => {
  t.same(refusal(() => decideDeployment({ type: 'DeployApp', app: null }, '1', {})), ['not_found', deploymentMessages.appNotFound])
  t.same(refusal(() => decideDeployment({ type: 'DeployApp', app: batch('a') }, '1', fold(deployed('a')))), ['conflict', deploymentMessages.cantDeploy('1')])
  t.same(refusal(() => decideDeployment({ type: 'StartApp', app: batch('a') }, '0', {})), ['not_found', deploymentMessages.notDeployed])
})

t.test("a status family's usage record cannot be deployed, started, withdrawn or stopped: it is no application", async (t) => {
  const record: AppRef = { kind: 'usage-record', id: 'r' }
  // Even beside deployments of its id (from a log written before this rule), nothing is asked of the master.
  const given = fold([{ type: 'AppDeployRequested', data: { app_id: 'r', name: 'r.jar', type: 'BATCH', container: 'c' } }, { type: 'AppDeployed', data: { app_id: 'r' } }])
  for (const type of ['DeployApp', 'WithdrawApp', 'StartApp', 'StopApp'] as const) {
    t.same(refusal(() => decideDeployment({ type, app: record }, '0', {})), ['not_found', deploymentMessages.appNotFound], type)
    t.same(refusal(() => decideDeployment({ type, app: record }, '0', given)), ['not_found', deploymentMessages.appNotFound], `${type}, deployed`)
  }
})
