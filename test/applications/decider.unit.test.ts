import t from 'tap'
import type { ApplicationEvent } from '../../src/applications/events.js'
import { appRefOf } from '../../src/applications/app-ref.js'
import { applicationDecider, applicationMessages } from '../../src/applications/decider.js'
import { deciderSpec } from '../support/decider-spec.js'
import { uploadRequestedBy } from '../support/fixtures.js'

const spec = deciderSpec(applicationDecider)
const id = 'a1'
const requested = uploadRequestedBy('alice', 'app.jar')
const uploaded: ApplicationEvent = { type: 'AppUploaded', data: {} }

t.test('an upload lands in the project container', async (t) =>
  spec
    .given([])
    .when({ type: 'RequestUpload', id, owner: 'alice', name: 'app.jar', projectId: 'p', projectName: 'lambda.grnet.gr', description: '', appType: 'BATCH', executionEnvironmentName: '', size: 1 })
    .then(t, [requested]))
t.test('the reactor records the upload once', async (t) => {
  spec.given([requested]).when({ type: 'RecordUploaded', id }).then(t, [uploaded])
  spec.given([requested, uploaded]).when({ type: 'RecordUploaded', id }).then(t, [])
})
t.test('delete: refused while running, with the instances named', async (t) =>
  spec
    .given([requested, uploaded])
    .when({ type: 'RequestDelete', id, owner: 'alice', runningOn: ['one', 'two'] })
    .rejects(t, 'conflict', "Can't delete application app.jar while it is running. Current lambda instances it is running are: one, two"))
t.test("delete: another owner's application is not found", async (t) =>
  spec.given([requested]).when({ type: 'RequestDelete', id, owner: 'bob', runningOn: [] }).rejects(t, 'not_found', applicationMessages.notFound))
t.test('delete: requested, then recorded; then the application is gone', async (t) => {
  spec.given([requested, uploaded]).when({ type: 'RequestDelete', id, owner: 'alice', runningOn: [] }).then(t, [{ type: 'AppDeleteRequested', data: {} }])
  spec.given([requested, uploaded, { type: 'AppDeleteRequested', data: {} }]).when({ type: 'RecordDeleted', id }).then(t, [{ type: 'AppDeleted', data: {} }])
  spec.given([requested, { type: 'AppDeleteRequested', data: {} }, { type: 'AppDeleted', data: {} }]).when({ type: 'RequestDelete', id, owner: 'alice', runningOn: [] }).rejects(t, 'not_found', applicationMessages.notFound)
})
t.test('status family: the counter cannot go below zero', async (t) => {
  spec.given([requested]).when({ type: 'ChangeTimesStarted', id, owner: 'alice', delta: -1 }).rejects(t, 'conflict', applicationMessages.counterAtZero)
  spec.given([requested, { type: 'AppTimesStartedChanged', data: { delta: 1 } }]).when({ type: 'ChangeTimesStarted', id, owner: 'alice', delta: -1 }).then(t, [{ type: 'AppTimesStartedChanged', data: { delta: -1 } }])
})

t.test('what a deployment command knows of an application: an uploaded jar, or a usage record with nothing to deploy', async (t) => {
  const fold = (events: ApplicationEvent[]) => events.reduce(applicationDecider.evolve, applicationDecider.initialState())
  t.same(appRefOf(id, fold([requested, uploaded]), 'alice'), {
    kind: 'jar', id, name: 'app.jar', type: 'BATCH', container: 'lambda_applications_lambda.grnet.gr', executionEnvironmentName: '',
  })
  const registered: ApplicationEvent = { type: 'AppRegistered', data: { owner: 'alice', name: '../../bob/x.jar', description: '', status: '0', failure_message: '' } }
  t.same(appRefOf(id, fold([registered]), 'alice'), { kind: 'usage-record', id })
  t.equal(appRefOf(id, fold([requested]), 'bob'), null, "another owner's is unknown")
  t.equal(appRefOf(id, fold([requested, { type: 'AppDeleteRequested', data: {} }, { type: 'AppDeleted', data: {} }]), 'alice'), null, 'a deleted one too')
  t.equal(appRefOf(id, fold([]), 'alice'), null)
})
