import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { ApplicationEvent } from '../../../src/applications/events.js'
import type { DeploymentEvent } from '../../../src/instances/deployment-events.js'
import type { InstanceEvent } from '../../../src/instances/events.js'
import { instanceStatusCodes, instanceStatuses } from '../../../src/instances/statuses.js'
import { DEMO_PROJECT_ID } from '../../../src/okeanos/emulator/index.js'
import { requestedBy, startHarness, statusChanged, type Harness } from '../../support/harness.js'
import { uploadRequestedBy } from '../../support/fixtures.js'
import { jar } from '../../support/multipart.js'
import { instanceStream } from '../../../src/instances/events.js'
import { applicationStream } from '../../../src/applications/events.js'

// docs/original.md "Applications" and "What the original's tests asserted" over HTTP.

const appNotFound = "The specified application doesn't exist."
const instanceNotFound = "The specified lambda instance doesn't exist."

const uploaded = (owner: string, name = 'application.jar', type: 'BATCH' | 'STREAMING' = 'BATCH', project = DEMO_PROJECT_ID): ApplicationEvent[] => [
  uploadRequestedBy(owner, name, { project_id: project, description: 'desc', type, execution_environment_name: 'Stream', size: 10 }),
  { type: 'AppUploaded', data: {} },
]

async function anApp(h: Harness, name = 'application.jar', type: 'BATCH' | 'STREAMING' = 'BATCH') {
  const id = randomUUID()
  await h.givenApp(id, ...uploaded(h.alice.id, name, type))
  return id
}

async function anInstance(h: Harness, status = '0', ...more: InstanceEvent[]) {
  const id = randomUUID()
  await h.given(id, requestedBy(h.alice.id, 'test_instance_name'), ...(status === '2' ? [] : [statusChanged(status)]), ...more)
  return id
}

const deployed = (appId: string, name = 'application.jar', type: 'BATCH' | 'STREAMING' = 'BATCH'): DeploymentEvent[] => [
  { type: 'AppDeployRequested', data: { app_id: appId, name, type, container: 'lambda_applications_lambda.grnet.gr' } },
  { type: 'AppDeployed', data: { app_id: appId } },
]
const started = (appId: string): DeploymentEvent[] => [
  { type: 'AppStartRequested', data: { app_id: appId, execution_environment_name: 'Stream' } },
  { type: 'AppStarted', data: { app_id: appId } },
]

const form = (lambda_instance_id: string | undefined) => ({
  payload: lambda_instance_id === undefined ? '' : `lambda_instance_id=${lambda_instance_id}`,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
})


t.test('list, count, details (TestApplicationsList, TestApplicationDetails, TestApplicationsCount)', async (t) => {
  const h = await startHarness(t)
  t.same((await h.call('GET', '/api/apps/')).json(), { status: { code: 200, short_description: 'Applications' }, data: [] })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push(await anApp(h, `name_${i}.jar`))
  const instance = await anInstance(h, '0', ...deployed(ids[0]!))
  await h.givenApp(randomUUID(), ...uploaded(h.bob.id, 'bobs.jar'))
  const list = (await h.call('GET', '/api/apps/')).json().data
  t.same(list.map((a: { name: string }) => a.name), ['name_0.jar', 'name_1.jar', 'name_2.jar', 'name_3.jar', 'name_4.jar'])
  t.same(list[0], { id: ids[0], name: 'name_0.jar', type: 'BATCH', status: { code: '0', message: 'UPLOADED', detail: 'Application has been successfully uploaded' }, deployed: true })
  t.equal(list[1].deployed, false)
  const page = (await h.call('GET', '/api/apps/?limit=2&offset=3')).json()
  t.same([page.data.map((a: { name: string }) => a.name), page.pagination.count], [['name_3.jar', 'name_4.jar'], 5])
  t.same((await h.call('GET', '/api/apps/?limit=-1')).json().errors, [{ status: 400, detail: 'limit value should be an integer greater or equal to zero.' }])
  t.same((await h.call('GET', '/api/apps/count/')).json(), { status: { code: 200, short_description: 'Number of Applications' }, data: [{ count: 5 }] })
  const details = (await h.call('GET', `/api/apps/${ids[0]}/`)).json()
  t.same(details, {
    status: { code: 200, short_description: 'Application details' },
    data: [{
      id: ids[0], name: 'name_0.jar', path: 'lambda_applications_lambda.grnet.gr', type: 'BATCH', description: 'desc', execution_environment_name: 'Stream',
      status: { code: '0', message: 'UPLOADED', detail: 'Application has been successfully uploaded' },
      lambda_instances: [{ id: instance, name: 'test_instance_name', started: false, status: { code: '0', message: 'STARTED', detail: 'Lambda instance has been started' } }],
    }],
  })
  t.same((await h.call('GET', `/api/apps/${randomUUID()}/`)).json().errors, [{ status: 404, detail: appNotFound }])
  t.equal((await h.call('GET', `/api/apps/${ids[0]}/`, { token: h.bob.token })).statusCode, 404, "another owner's")
})

t.test('delete (TestApplicationDelete)', async (t) => {
  const h = await startHarness(t)
  t.test('202 while deployed but not running', async (t) => {
    const app = await anApp(h)
    await anInstance(h, '0', ...deployed(app))
    const res = await h.call('DELETE', `/api/apps/${app}/`)
    t.same([res.statusCode, res.json()], [202, { status: { code: 202, short_description: 'Your request to delete the specified application has been accepted' } }])
    t.equal((await h.service.log.readStream(applicationStream(app))).at(-1)!.type, 'AppDeleteRequested')
  })
  t.test('409 while running, naming the instances', async (t) => {
    const app = await anApp(h, 'running.jar')
    await anInstance(h, '0', ...deployed(app, 'running.jar'), ...started(app))
    const res = await h.call('DELETE', `/api/apps/${app}/`)
    t.same([res.statusCode, res.json().errors[0].detail], [409, "Can't delete application running.jar while it is running. Current lambda instances it is running are: test_instance_name"])
  })
  t.test('404', async (t) => t.equal((await h.call('DELETE', `/api/apps/${randomUUID()}/`)).statusCode, 404))
})

t.test('deploy and withdraw (TestApplicationDeploy, TestApplicationWithdraw)', async (t) => {
  const h = await startHarness(t)
  for (const action of ['deploy', 'withdraw'] as const) {
    t.test(`${action}: no id 400, missing instance 404, missing application 404`, async (t) => {
      const app = await anApp(h, `${action}-checks.jar`)
      const instance = await anInstance(h)
      t.same((await h.call('POST', `/api/apps/${app}/${action}/`, form(undefined))).json().errors, [{ status: 400, detail: 'No lambda instance id provided.' }])
      t.same((await h.call('POST', `/api/apps/${app}/${action}/`, form(randomUUID()))).json().errors, [{ status: 404, detail: instanceNotFound }])
      t.same((await h.call('POST', `/api/apps/${randomUUID()}/${action}/`, form(instance))).json().errors, [{ status: 404, detail: appNotFound }])
    })
    t.test(`${action} on an instance that is not STARTED: 409 for every other status`, async (t) => {
      const app = await anApp(h, `${action}-status.jar`)
      for (const code of instanceStatusCodes.filter((c) => c !== '0')) {
        const instance = await anInstance(h, code)
        const res = await h.call('POST', `/api/apps/${app}/${action}/`, form(instance))
        t.same([res.statusCode, res.json().errors[0].detail], [409, `Can't ${action} an application while lambda instance status is ${instanceStatuses[code].name}.`])
      }
    })
  }
  t.test('deploy: 202, then already deployed 409', async (t) => {
    const app = await anApp(h, 'd.jar')
    const instance = await anInstance(h)
    const res = await h.call('POST', `/api/apps/${app}/deploy/`, form(instance))
    t.same([res.statusCode, res.json().status.short_description], [202, 'Your request to deploy the specified application has been accepted'])
    t.match((await h.service.log.readStream(instanceStream(instance))).at(-1), { type: 'AppDeployRequested', data: { app_id: app, name: 'd.jar', type: 'BATCH' } })
    t.same((await h.call('POST', `/api/apps/${app}/deploy/`, form(instance))).json().errors, [{ status: 409, detail: 'The specified application has already been deployed on the specified lambda instance.' }])
  })
  t.test('withdraw: 202 when deployed, 409 when not', async (t) => {
    const app = await anApp(h, 'w.jar')
    const instance = await anInstance(h, '0', ...deployed(app, 'w.jar'))
    const res = await h.call('POST', `/api/apps/${app}/withdraw/`, form(instance))
    t.same([res.statusCode, res.json().status.short_description], [202, 'Your request to withdraw the specified application has been accepted'])
    const other = await anInstance(h)
    t.same((await h.call('POST', `/api/apps/${app}/withdraw/`, form(other))).json().errors, [{ status: 409, detail: 'The specified application has not been deployed on the specified lambda instance.' }])
  })
  t.test("another owner's instance is missing", async (t) => {
    const app = await anApp(h, 'mine.jar')
    const bobs = randomUUID()
    await h.given(bobs, requestedBy(h.bob.id), statusChanged('0'))
    t.equal((await h.call('POST', `/api/apps/${app}/deploy/`, form(bobs))).statusCode, 404)
  })
})

t.test('list-deployed (TestApplicationsListDeployed)', async (t) => {
  const h = await startHarness(t)
  const apps = [await anApp(h, 'a.jar'), await anApp(h, 'b.jar'), await anApp(h, 'c.jar')]
  const instance = await anInstance(h, '0', ...apps.flatMap((a, i) => deployed(a, `${'abc'[i]}.jar`)))
  const res = (await h.call('GET', `/api/apps/${instance}/list-deployed/`)).json()
  t.same(res.status, { code: 200, short_description: 'Applications' })
  t.same(res.data.map((a: { name: string; deployed: boolean }) => [a.name, a.deployed]), [['a.jar', true], ['b.jar', true], ['c.jar', true]])
  t.same((await h.call('GET', `/api/apps/${await anInstance(h)}/list-deployed/`)).json().data, [])
  t.same((await h.call('GET', `/api/apps/${instance}/list-deployed/?limit=1&offset=1`)).json().data.map((a: { name: string }) => a.name), ['b.jar'])
  t.equal((await h.call('GET', `/api/apps/${instance}/list-deployed/?limit=-3`)).statusCode, 400)
  t.same((await h.call('GET', `/api/apps/${randomUUID()}/list-deployed/`)).json().errors, [{ status: 404, detail: instanceNotFound }])
})

t.test('start and stop (TestApplicationStart, TestApplicationStop)', async (t) => {
  const h = await startHarness(t)
  for (const type of ['BATCH', 'STREAMING'] as const)
    t.test(`start and stop a ${type.toLowerCase()} application`, async (t) => {
      const app = await anApp(h, `${type}.jar`, type)
      const instance = await anInstance(h, '0', ...deployed(app, `${type}.jar`, type))
      const start = await h.call('POST', `/api/apps/${app}/start/`, form(instance))
      t.same([start.statusCode, start.json().status.short_description], [202, 'Your request to start the specified application has been accepted'])
      t.same((await h.call('POST', `/api/apps/${app}/start/`, form(instance))).json().errors, [{ status: 409, detail: 'The specified application on the specified lambda instance has already been started.' }])
      const second = await anApp(h, `second-${type}.jar`, type)
      await h.given(instance, ...deployed(second, `second-${type}.jar`, type))
      t.same((await h.call('POST', `/api/apps/${second}/start/`, form(instance))).json().errors, [{ status: 409, detail: `The ${type.toLowerCase()} job on the specified lambda instance has already been started.` }], 'one job of a type per instance')
      await h.given(instance, { type: 'AppStarted', data: { app_id: app } })
      const stop = await h.call('POST', `/api/apps/${app}/stop/`, form(instance))
      t.same([stop.statusCode, stop.json().status.short_description], [202, 'Your request to stop the specified application has been accepted'])
      t.match((await h.service.log.readStream(instanceStream(instance))).at(-1), { type: 'AppStopRequested', data: { app_id: app, execution_environment_name: 'Stream' } })
    })
  t.test('stop an application that is not running: 409', async (t) => {
    const app = await anApp(h, 'idle.jar')
    const instance = await anInstance(h, '0', ...deployed(app, 'idle.jar'))
    t.same((await h.call('POST', `/api/apps/${app}/stop/`, form(instance))).json().errors, [{ status: 409, detail: 'The specified application on the specified lambda instance has already been stopped.' }])
  })
  for (const action of ['start', 'stop'] as const) {
    t.test(`${action}: 400, 404 instance, 404 application, 404 not deployed, 409 status`, async (t) => {
      const app = await anApp(h, `${action}-checks.jar`)
      const instance = await anInstance(h)
      t.equal((await h.call('POST', `/api/apps/${app}/${action}/`, form(undefined))).statusCode, 400)
      t.same((await h.call('POST', `/api/apps/${app}/${action}/`, form(randomUUID()))).json().errors[0].detail, instanceNotFound)
      t.same((await h.call('POST', `/api/apps/${randomUUID()}/${action}/`, form(instance))).json().errors[0].detail, appNotFound)
      t.same((await h.call('POST', `/api/apps/${app}/${action}/`, form(instance))).json().errors, [{ status: 404, detail: 'The specified application is not deployed on the specified lambda instance.' }])
      for (const code of ['1', '2', '9', '11', '21'] as const) {
        const other = await anInstance(h, code)
        const res = await h.call('POST', `/api/apps/${app}/${action}/`, form(other))
        t.same([res.statusCode, res.json().errors[0].detail], [409, `Can't start/stop an application while lambda instance status is ${instanceStatuses[code].name}.`])
      }
    })
  }
  t.test('stopping the instance frees the job slots', async (t) => {
    const app = await anApp(h, 'slot.jar')
    const instance = await anInstance(h, '0', ...deployed(app, 'slot.jar'), ...started(app))
    t.equal((await h.call('POST', `/api/lambda-instances/${instance}/`, { payload: { action: 'stop' } })).statusCode, 202)
    await h.given(instance, statusChanged('1'), statusChanged('0'))
    t.equal((await h.call('POST', `/api/apps/${app}/start/`, form(instance))).statusCode, 202)
  })
})
