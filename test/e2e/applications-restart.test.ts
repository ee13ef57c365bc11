import t from 'tap'
import { waitUntil } from '../support/wait.js'
import { Okeanos } from '../../src/okeanos/index.js'
import type { Service } from '../../src/app/service.js'
import { restartableService } from '../support/cluster.js'
import { createBody } from '../support/fixtures.js'
import { jar, multipart } from '../support/multipart.js'
import { instanceStream } from '../../src/instances/events.js'

// Application jobs asked for just before the service went down (a deploy, the start after it, a delete) are
// not lost: the service started again on the same data finds them in the streams and does them.

t.test('a deploy, a start and a delete pending at a restart are done after it', async (t) => {
  const data = await restartableService(t)
  const { emulator, alice } = data
  let service: Service | undefined
  let url = ''
  const start = async () => {
    const started = await data.start()
    service = started.service
    url = started.url
  }
  const call = async (method: string, path: string, body?: object, form?: ReturnType<typeof multipart>) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Token ${alice.token}`, ...(form ? form.headers : body && { 'content-type': 'application/json' }) },
      ...(form ? { body: new Uint8Array(form.payload) } : body && { body: JSON.stringify(body) }),
    })
    return { status: response.status, json: (await response.json()) as any }
  }
  const upload = async (name: string) => {
    const form = multipart({ file: { filename: name, content: jar(2048) }, type: 'batch', project_name: 'lambda.grnet.gr', execution_environment_name: '' })
    const res = await call('POST', '/api/apps/', undefined, form)
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(res.json)}`)
    const id: string = res.json.data[0].id
    await waitUntil(`${name} UPLOADED`, async () => ((await call('GET', `/api/apps/${id}/`)).json.data[0].status.message === 'UPLOADED' ? true : undefined))
    return id
  }
  const onInstance = (instance: string) => multipart({ lambda_instance_id: instance })

  await start()
  const created = await call('POST', '/api/lambda-instance/', { ...createBody, slaves: 0, public_key_name: [] })
  t.equal(created.status, 202)
  const instance: string = created.json.data[0].id
  await waitUntil('STARTED', async () => {
    const status = (await call('GET', `/api/lambda-instances/${instance}/?filter=status`)).json.data[0].status
    if (status.message.endsWith('FAILED')) throw new Error(`instance ${status.message}: ${status.failure_message}`)
    return status.message === 'STARTED' ? true : undefined
  })
  const app = await upload('resumed.jar')
  const doomed = await upload('doomed.jar')
  const ok = await Okeanos.connect(emulator.identityUrl, alice.token)
  const master = (await ok.compute.listServers()).find((s) => s.metadata?.lod_instance === instance && s.metadata.lod_role === 'master')!

  // The reactors stop, as in a crash: the requests are recorded, their jobs never run.
  await service!.reactors!.close()
  t.equal((await call('POST', `/api/apps/${app}/deploy/`, undefined, onInstance(instance))).status, 202)
  t.equal((await call('POST', `/api/apps/${app}/start/`, undefined, onInstance(instance))).status, 202)
  t.equal((await call('DELETE', `/api/apps/${doomed}/`)).status, 202)
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(emulator.masterFiles(master.id).some((f) => f.path === '/home/flink/resumed.jar'), 'nothing deployed before the restart')
  const before = (await service!.log.readStream(instanceStream(instance))).map((e) => e.type)
  t.same(before.slice(-2), ['AppDeployRequested', 'AppStartRequested'], 'the deploy and the start are pending')
  await service!.close()
  service = undefined

  await start()
  await waitUntil('the jar on the master', () => (emulator.masterFiles(master.id).some((f) => f.path === '/home/flink/resumed.jar') ? true : undefined))
  await waitUntil('the batch job running', () => (emulator.masterJobs(master.id).batch.state === 'RUNNING' ? true : undefined))
  await waitUntil('the start recorded', async () => {
    const details = (await call('GET', `/api/lambda-instances/${instance}/`)).json.data[0]
    return details.applications.some((a: { id: string; started: boolean }) => a.id === app && a.started) ? true : undefined
  })
  await waitUntil('the delete done', async () => ((await call('GET', `/api/apps/${doomed}/`)).status === 404 ? true : undefined))
  t.same((await ok.pithos.listObjects('lambda_applications_lambda.grnet.gr')).map((o) => o.name), ['resumed.jar'], 'only the deleted jar left Pithos')
  await service!.reactors!.idle()
  const after = (await service!.log.readStream(instanceStream(instance))).map((e) => e.type)
  t.same(after.slice(before.length), ['AppDeployed', 'AppStarted'], 'each job done once')
  t.match(service!.reactors!.jobCounts(), { failed: 0, queued: 0, running: 0 })
})
