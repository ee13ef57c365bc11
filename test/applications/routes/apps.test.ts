import t from 'tap'
import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ApplicationEvent } from '../../../src/applications/events.js'
import type { DeploymentEvent } from '../../../src/instances/deployment-events.js'
import type { InstanceEvent } from '../../../src/instances/events.js'
import { instanceStatusCodes, instanceStatuses } from '../../../src/instances/statuses.js'
import { DEMO_PROJECT_ID, TINY_PROJECT_ID } from '../../../src/okeanos/emulator/index.js'
import { requestedBy, startHarness, statusChanged, type Harness } from '../../support/harness.js'
import { uploadRequestedBy } from '../../support/fixtures.js'
import { jar, multipart } from '../../support/multipart.js'
import { waitUntil } from '../../support/wait.js'
import { instanceStream } from '../../../src/instances/events.js'
import { applicationStream } from '../../../src/applications/events.js'

// upstream §8.3 (applications) over HTTP.

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

t.test('upload (TestApplicationUpload)', async (t) => {
  const h = await startHarness(t, { uploadLimit: 4096 })
  const upload = (fields: Parameters<typeof multipart>[0], token = h.alice.token) => h.call('POST', '/api/apps/', { ...multipart(fields), token })
  const base = { file: { filename: 'application.jar', content: jar() }, type: 'batch', project_name: 'lambda.grnet.gr', description: 'desc', execution_environment_name: 'Stream' }

  t.test('202 with an id and a self link; the upload is recorded', async (t) => {
    const res = await upload(base)
    t.equal(res.statusCode, 202, res.body)
    const body = res.json()
    t.equal(body.status.short_description, 'Your request to upload the specified application has been accepted')
    t.match(body.data[0].links.self, /^http:\/\/localhost(:\d+)?\/api\/apps\/([^/.]+)$/)
    const [event] = await h.service.log.readStream(applicationStream(body.data[0].id))
    t.match(event, {
      type: 'AppUploadRequested',
      data: { owner: h.alice.id, name: 'application.jar', project_id: DEMO_PROJECT_ID, container: 'lambda_applications_lambda.grnet.gr', description: 'desc', type: 'BATCH', execution_environment_name: 'Stream', size: 64 },
    })
    const details = (await h.call('GET', `/api/apps/${body.data[0].id}/`)).json().data[0]
    t.match(details, { name: 'application.jar', status: { code: '1', message: 'UPLOADING' } })
  })
  t.test('the same name in the same project: 400', async (t) => {
    const res = await upload(base)
    t.same([res.statusCode, res.json().errors[0].detail], [400, 'The specified file name already exists.'])
  })
  t.test('the same name in another project: 202', async (t) => {
    t.equal((await upload({ ...base, project_name: 'tiny.grnet.gr' }, h.bob.token)).statusCode, 202)
    t.equal((await upload({ ...base, project_name: 'lambda.grnet.gr' }, h.bob.token)).statusCode, 202, "and in another owner's project list")
  })
  t.test('no description, no execution environment: 202 with empty strings', async (t) => {
    const { description, execution_environment_name, ...rest } = base
    const res = await upload({ ...rest, file: { filename: 'other.jar', content: jar() } })
    t.equal(res.statusCode, 202)
    t.match((await h.service.log.readStream(applicationStream(res.json().data[0].id)))[0]!.data, { description: '', execution_environment_name: '' })
  })
  t.test('type streaming: 202, STREAMING', async (t) => {
    const res = await upload({ ...base, type: 'Streaming', file: { filename: 'stream.jar', content: jar() } })
    t.equal(res.statusCode, 202)
    t.equal((await h.call('GET', `/api/apps/${res.json().data[0].id}/`)).json().data[0].type, 'STREAMING')
  })
  const refusals: Array<[string, Parameters<typeof multipart>[0], number, string]> = [
    ['no file', { type: 'batch', project_name: 'lambda.grnet.gr' }, 400, 'No file uploaded.'],
    ['no type', { file: base.file, project_name: 'lambda.grnet.gr' }, 400, 'Wrong or no application type specified (correct choices: batch/streaming).'],
    ['a wrong type', { ...base, type: 'interactive' }, 400, 'Wrong or no application type specified (correct choices: batch/streaming).'],
    ['no project name', { file: base.file, type: 'batch' }, 400, 'No ~okeanos project name provided.'],
    ['a project the user is not in', { ...base, project_name: 'a-wrong-project-name' }, 409, "Can't use ~okeanos a-wrong-project-name project. You are not subscribed in it."],
    ['a file name no shell should see', { ...base, file: { filename: 'a b;rm -rf.jar', content: jar() } }, 400, 'The file name may use only'],
    ['an empty file', { ...base, file: { filename: 'empty.jar', content: Buffer.alloc(0) } }, 400, 'The uploaded file is empty.'],
    ['not a jar', { ...base, file: { filename: 'notes.jar', content: Buffer.from('just some text') } }, 400, 'The uploaded file is not a jar (a zip archive).'],
    ['over the size limit', { ...base, file: { filename: 'big.jar', content: jar(10_000) } }, 413, 'request file too large'],
  ]
  for (const [name, fields, status, detail] of refusals)
    t.test(`${name}: ${status}`, async (t) => {
      const before = await h.service.log.headPosition()
      const res = await upload(fields)
      t.equal(res.statusCode, status, res.body)
      t.match(res.json().errors[0].detail, detail)
      t.equal(await h.service.log.headPosition(), before, 'nothing appended')
    })
  t.test('a JSON body is a 415', async (t) => t.equal((await h.call('POST', '/api/apps/', { payload: { type: 'batch' } })).statusCode, 415))
})

t.test('an upload cut short: an answer, nothing recorded, no partial file left', async (t) => {
  const dataDir = t.testdir()
  const uploads = join(dataDir, 'uploads')
  // The commands' body timeout is shorter than these uploads take: an upload is let off it.
  const uploadMs = 4000
  const h = await startHarness(t, { dataDir, synchronous: 'normal', uploadIdleTimeoutMs: 1000, timeouts: { headersMs: 1000, bodyMs: 1000, uploadMs } })
  const port = new URL(await h.service.app.listen({ port: 0, host: '127.0.0.1' })).port
  const leftovers = () => readdirSync(uploads)
  const fields = { type: 'batch', project_name: 'lambda.grnet.gr', description: 'desc', file: { filename: 'cut.jar', content: jar(64 * 1024) } }
  const { payload, headers } = multipart(fields)
  const inFile = payload.indexOf('PK\x03\x04') + 32 * 1024

  /** The body over a socket, announcing `length` bytes (more than it sends, for a client that stalls). */
  const send = (body: Buffer, length = body.length) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    socket.write(
      `POST /api/apps/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Token ${h.alice.token}\r\n` +
        `Content-Type: ${headers['content-type']}\r\nContent-Length: ${length}\r\n\r\n`,
    )
    socket.write(body)
    let got = ''
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()))
    // The whole answer, once the service closes the connection.
    const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(got)))
    return { socket, answer, received: () => got }
  }
  const until = (what: string, condition: () => boolean) => waitUntil(what, condition, 10_000)

  t.test('a body that ends without its closing boundary: 400', async (t) => {
    const { payload: fileFirst } = multipart({ file: fields.file, type: 'batch', project_name: 'lambda.grnet.gr', description: 'a description cut short' })
    const cuts: Array<[string, Buffer]> = [
      ['inside the file', payload.subarray(0, inFile)],
      ['at the delimiter after the file', payload.subarray(0, payload.length - '--\r\n'.length)],
      ['before the closing boundary', payload.subarray(0, payload.length - '--lod-test-boundary--\r\n'.length)],
      ['inside a field after the file', fileFirst.subarray(0, fileFirst.indexOf('a description') + 5)],
    ]
    for (const [where, body] of cuts) {
      const before = await h.service.log.headPosition()
      const res = await h.call('POST', '/api/apps/', { payload: body, headers })
      t.equal(res.statusCode, 400, `${where}: ${res.body}`)
      t.same(res.json(), { errors: [{ status: 400, detail: 'Malformed multipart body: Unexpected end of multipart data' }] }, where)
      t.equal(await h.service.log.headPosition(), before, `${where}: nothing appended`)
      t.same(leftovers(), [], `${where}: no file left`)
    }
  })

  t.test('a client that stalls inside the file: 408 after the idle timeout, the connection closed', async (t) => {
    const before = await h.service.log.headPosition()
    const started = Date.now()
    const { answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    const response = await Promise.race([answer, sleep(10_000).then(() => 'no answer in 10 s')])
    const elapsed = Date.now() - started
    t.match(response, /^HTTP\/1\.1 408 /, response)
    t.match(response, /\r\nconnection: close\r\n/i)
    t.same(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), {
      errors: [{ status: 408, detail: 'The upload sent nothing for 1 s; it was abandoned. Send the whole body without pausing.' }],
    })
    t.ok(elapsed >= 900, `answered after the idle timeout (${elapsed} ms)`)
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
    t.same(leftovers(), [], 'the partial file removed')
  })

  t.test('a client that disconnects inside the file: the partial file removed', async (t) => {
    const before = await h.service.log.headPosition()
    const { socket, answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    socket.destroy()
    await answer
    await until('removing the partial file', () => leftovers().length === 0)
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
  })

  t.test('a slow client that keeps sending is not cut off', async (t) => {
    const { payload: slow } = multipart({ ...fields, file: { filename: 'slow.jar', content: jar(64 * 1024) } })
    const pieces = 6
    const size = Math.ceil(slow.length / pieces)
    const { socket, received } = send(slow.subarray(0, size), slow.length)
    for (let i = 1; i < pieces; i++) {
      await sleep(300) // 1.5 s in all, longer than the idle and body timeouts, but never idle that long
      t.equal(received(), '', 'no answer while it sends')
      socket.write(slow.subarray(i * size, (i + 1) * size))
    }
    await until('answered', () => received().includes('\r\n\r\n'))
    t.match(received(), /^HTTP\/1\.1 202 /)
    socket.destroy()
  })

  t.test('a client that trickles, never idle for long, is cut at the upload timeout: 408, no partial file left', async (t) => {
    const before = await h.service.log.headPosition()
    const { socket, answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    const trickle = setInterval(() => socket.write(Buffer.alloc(16, 0x61)), 300)
    t.teardown(() => clearInterval(trickle))
    // Node checks its limits every second.
    const response = await Promise.race([answer, sleep(uploadMs + 3000).then(() => 'no answer after the upload timeout')])
    clearInterval(trickle)
    t.match(response, /^HTTP\/1\.1 408 /, response)
    t.same(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), {
      errors: [{ status: 408, detail: 'The request did not arrive in time (its headers within 1 s, an upload within 4 s); it was abandoned.' }],
    })
    await until('removing the partial file', () => !leftovers().some((name) => name.endsWith('.part')))
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
  })

  t.test('afterwards the service still takes a whole upload', async (t) => {
    const res = await h.call('POST', '/api/apps/', { payload, headers })
    t.equal(res.statusCode, 202, res.body)
    t.ok(leftovers().includes(`${res.json().data[0].id}.jar`), 'the file kept for the reactor')
    t.same(leftovers().filter((name) => name.endsWith('.part')), [], 'and no partial file')
  })
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
