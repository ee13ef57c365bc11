import t from 'tap'
import { randomUUID } from 'node:crypto'
import { createdAndStarted, lod, reportStatus, serviceWithData } from '../support/lod.js'

// `lod audit <id>`: an instance's history from the log the service wrote.

t.test('the history as a table: time, event, actor, status before → after, failure message', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h, ['10', '12'])
  await reportStatus(h, id, '13', 'ansible: unreachable host 10.0.0.2')
  await h.call('DELETE', `/api/lambda-instances/${id}/`)

  const run = await lod(['audit', id, '-d', h.dataDir])
  t.equal(run.code, 0)
  t.equal(run.lines[0], `instance-${id}: 5 events`)
  t.match(run.lines[2], /^time\s+event\s+actor\s+status\s+failure message$/)
  const rows = run.lines.slice(4)
  t.equal(rows.length, 5)
  t.match(rows[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+InstanceRequested\\s+${h.alice.name} \\(${h.alice.id}\\)\\s+- → PENDING$`))
  t.match(rows[1], /InstanceStatusChanged\s+.*PENDING → CLUSTER_CREATED$/)
  t.match(rows[3], /INIT_DONE → INIT_FAILED\s+ansible: unreachable host 10.0.0.2$/)
  t.match(rows[4], /InstanceDestroyRequested\s+.*INIT_FAILED → DESTROYING$/)
})

t.test('--json gives every entry with its request id and data', async (t) => {
  const h = await serviceWithData(t)
  const id = await createdAndStarted(h, ['10'])
  const run = await lod(['audit', id, '--json', '-d', h.dataDir])
  const { stream, events } = JSON.parse(run.out)
  t.equal(stream, `instance-${id}`)
  t.match(events, [
    { event: 'InstanceRequested', actor: h.alice.id, actor_name: h.alice.name, status_before: null, status_after: { code: '2', message: 'PENDING' }, data: { owner: h.alice.id } },
    { event: 'InstanceStatusChanged', status_before: { code: '2' }, status_after: { code: '10' }, request_id: String },
  ])
})

t.test('an id with no stream is an error, exit code 1', async (t) => {
  const h = await serviceWithData(t)
  await createdAndStarted(h, [])
  const missing = randomUUID()
  const run = await lod(['audit', missing, '-d', h.dataDir])
  t.equal(run.code, 1)
  t.equal(run.err, `lod: No instance or application ${missing} in the event log.`)
  const nowhere = await lod(['audit', missing, '-d', `${h.dataDir}/nothing`])
  t.equal(nowhere.code, 2)
  t.match(nowhere.err, /No event log at .*nothing\/events.db/)
})

t.test('an application id gives the application\'s history with its statuses', async (t) => {
  const h = await serviceWithData(t)
  const id = randomUUID()
  t.equal((await h.call('POST', '/api/lambda_applications/', { payload: { uuid: id, name: 'wordcount.jar', description: 'd', status: '1' } })).statusCode, 202)
  t.equal((await h.call('POST', `/api/lambda_applications/${id}/status/`, { payload: { status: '2', failure_message: 'Pithos: quota exceeded' } })).statusCode, 202)
  const run = await lod(['audit', id, '-d', h.dataDir])
  t.equal(run.code, 0, run.err)
  t.equal(run.lines[0], `app-${id}: 2 events`)
  t.match(run.lines[4], /AppRegistered\s+.*- → UPLOADING$/)
  t.match(run.lines[5], /AppStatusChanged\s+.*UPLOADING → FAILED\s+Pithos: quota exceeded$/)
})
