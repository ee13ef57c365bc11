import t from 'tap'
import { waitUntil } from '../support/wait.js'
import { jar, multipart } from '../support/multipart.js'
import { startCluster, type Cluster } from '../support/cluster.js'
import { instanceStream } from '../../src/instances/events.js'

// Issue acceptance: upload → UPLOADED → deploy → start batch → a second batch app is refused → stop (seed
// 004's multipart curl) → the master's job is stopped → withdraw → delete, with Pithos and the master clean.

async function upload(c: Cluster, name: string, type = 'batch') {
  const form = multipart({ file: { filename: name, content: jar(2048) }, type, project_name: 'lambda.grnet.gr', execution_environment_name: 'Stream' })
  const res = await c.send('POST', '/api/apps/', form.payload, form.headers)
  if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(res.json)}`)
  const id: string = res.json.data[0].id
  await waitUntil(`${name} UPLOADED`, async () => {
    const status = (await c.api('GET', `/api/apps/${id}/`)).json.data[0].status
    if (status.message === 'FAILED') throw new Error(`upload failed: ${status.failure_message}`)
    return status.message === 'UPLOADED' ? status : undefined
  })
  return id
}

const form = (instance: string) => {
  const body = multipart({ lambda_instance_id: instance })
  return [body.payload, body.headers] as const
}

t.test('an application from upload to delete', async (t) => {
  const c = await startCluster(t)
  const instance = await c.create({ slaves: 1 })
  t.equal((await c.waitFor(instance, ['STARTED', 'CLUSTER_FAILED', 'FAILED'])).message, 'STARTED')
  const ok = await c.okeanos()
  const master = (await ok.compute.listServers()).find((s) => s.metadata?.lod_instance === instance && s.metadata.lod_role === 'master')!

  const app = await upload(c, 'wordcount.jar')
  const objects = await ok.pithos.listObjects('lambda_applications_lambda.grnet.gr')
  t.same(objects.map((o) => o.name), ['wordcount.jar'], 'the jar is on Pithos, in the project container')

  t.equal((await c.send('POST', `/api/apps/${app}/deploy/`, ...form(instance))).status, 202)
  await waitUntil('the jar on the master', async () => (c.emulator.masterFiles(master.id).some((f) => f.path === '/home/flink/wordcount.jar') ? true : undefined))
  await waitUntil('the deployment recorded', async () => ((await c.api('GET', `/api/apps/${instance}/list-deployed/`)).json.data.length === 1 ? true : undefined))

  t.equal((await c.send('POST', `/api/apps/${app}/start/`, ...form(instance))).status, 202)
  const other = await upload(c, 'another.jar')
  t.equal((await c.send('POST', `/api/apps/${other}/deploy/`, ...form(instance))).status, 202)
  await waitUntil('the second deployment', async () => ((await c.api('GET', `/api/apps/${instance}/list-deployed/`)).json.data.length === 2 ? true : undefined))
  const second = await c.send('POST', `/api/apps/${other}/start/`, ...form(instance))
  t.same([second.status, second.json.errors[0].detail], [409, 'The batch job on the specified lambda instance has already been started.'])
  await waitUntil('the batch job running', async () => (c.emulator.masterJobs(master.id).batch.state === 'RUNNING' ? true : undefined))
  // The reactor records the start once the master has answered: a moment after the job runs.
  await waitUntil('the start recorded', async () => ((await c.api('GET', `/api/apps/${app}/`)).json.data[0].lambda_instances[0].started === true ? true : undefined))
  t.match((await c.api('GET', `/api/lambda-instances/${instance}/`)).json.data[0].applications, [{ name: 'wordcount.jar', started: true, type: 'BATCH' }])

  // The original's documented example: curl -X POST -H "Authorization: Token …" -F "lambda_instance_id=…" …/api/apps/<id>/stop/
  const stop = await c.send('POST', `/api/apps/${app}/stop/`, ...form(instance))
  t.same([stop.status, stop.json], [202, { status: { code: 202, short_description: 'Your request to stop the specified application has been accepted' } }])
  await waitUntil('the batch job stopped', async () => (c.emulator.masterJobs(master.id).batch.state !== 'RUNNING' ? true : undefined))
  await waitUntil('the stop recorded', async () => ((await c.api('GET', `/api/apps/${app}/`)).json.data[0].lambda_instances[0].started === false ? true : undefined))

  for (const id of [app, other]) t.equal((await c.send('POST', `/api/apps/${id}/withdraw/`, ...form(instance))).status, 202)
  await waitUntil('the jars gone from the master', async () => (c.emulator.masterFiles(master.id).some((f) => f.path.endsWith('.jar')) ? undefined : true))
  await waitUntil('nothing deployed', async () => ((await c.api('GET', `/api/apps/${instance}/list-deployed/`)).json.data.length === 0 ? true : undefined))

  for (const id of [app, other]) t.equal((await c.api('DELETE', `/api/apps/${id}/`)).status, 202)
  await waitUntil('no applications', async () => ((await c.api('GET', '/api/apps/count/')).json.data[0].count === 0 ? true : undefined))
  t.same(await ok.pithos.listObjects('lambda_applications_lambda.grnet.gr'), [], 'Pithos is clean')
  t.match(c.service.reactors!.jobCounts(), { failed: 0 })
})

t.test('a command the master fails leaves the job as it was and says why', async (t) => {
  const c = await startCluster(t)
  const instance = await c.create({ slaves: 0 })
  t.equal((await c.waitFor(instance, ['STARTED', 'CLUSTER_FAILED', 'FAILED'])).message, 'STARTED')
  const app = await upload(c, 'flaky.jar')
  t.equal((await c.send('POST', `/api/apps/${app}/deploy/`, ...form(instance))).status, 202)
  await waitUntil('deployed', async () => ((await c.api('GET', `/api/apps/${instance}/list-deployed/`)).json.data.length === 1 ? true : undefined))
  await new Promise((r) => setTimeout(r, 100))
  c.emulator.failSshCommand({ pattern: 'supervisorctl start', times: 1, exitCode: 7, stderr: 'flink_batch_job: ERROR (spawn error)' })
  t.equal((await c.send('POST', `/api/apps/${app}/start/`, ...form(instance))).status, 202)
  const failed = await waitUntil('the failure recorded', async () => {
    const events = await c.service.log.readStream(instanceStream(instance))
    return events.find((e) => e.type === 'AppJobFailed')
  })
  t.match(failed.data, { app_id: app, action: 'start', failure_message: /spawn error|exit/ })
  t.equal((await c.api('GET', `/api/apps/${app}/`)).json.data[0].lambda_instances[0].started, false)
  t.equal((await c.send('POST', `/api/apps/${app}/start/`, ...form(instance))).status, 202, 'the slot is free again')
})
