import t from 'tap'
import { randomUUID } from 'node:crypto'
import { instanceStatusCodes, instanceStatuses, type InstanceStatusCode } from '../../../src/instances/statuses.js'
import { createBody, requestedBy, startHarness, statusChanged } from '../../support/harness.js'
import { instanceStream } from '../../../src/instances/events.js'

// docs/original.md "What the original's tests asserted" (authentication, lambda instances), over HTTP.

const invalidToken = 'Unauthorized. Request failed because user provided an invalid token.'
const notFound = "The specified lambda instance doesn't exist."

t.test('authentication (§8.1)', async (t) => {
  const h = await startHarness(t)
  t.test('an invalid token is a 401 with the envelope', async (t) => {
    const res = await h.call('GET', '/api/lambda-instances/', { token: 'fake-token' })
    t.equal(res.statusCode, 401)
    t.same(res.json(), { errors: [{ status: 401, detail: invalidToken }] })
  })
  t.test('a missing header is a 401 with the envelope', async (t) => {
    const res = await h.call('GET', '/api/lambda-instances/', { token: null })
    t.equal(res.statusCode, 401)
    t.same(res.json(), { errors: [{ status: 401, detail: 'Authentication credentials were not provided.' }] })
    t.equal(res.headers['www-authenticate'], 'Token')
  })
  t.test('a header of another scheme is not a token', async (t) => {
    const res = await h.call('GET', '/api/lambda-instances/', { token: null, headers: { authorization: `Bearer ${h.alice.token}` } })
    t.equal(res.statusCode, 401)
  })
  t.test('authenticate answers the user name', async (t) => {
    const res = await h.call('GET', '/api/authenticate/')
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 200, result: 'Success', data: { name: h.alice.name } })
  })
})

t.test('create (§8.2 TestLambdaInstanceCreate)', async (t) => {
  const h = await startHarness(t)
  t.test('202 with the id and a self link; GET right after sees it PENDING', async (t) => {
    const res = await h.call('POST', '/api/lambda-instance/', { payload: createBody })
    t.equal(res.statusCode, 202)
    const body = res.json()
    t.equal(body.status.short_description, 'Your request to create a new lambda instance has been accepted')
    t.equal(body.status.code, 202)
    t.equal(body.data.length, 1)
    const match = /^http:\/\/localhost(:\d+)?\/api\/lambda-instances\/([^/.]+)$/.exec(body.data[0].links.self)
    t.ok(match, body.data[0].links.self)
    t.equal(match![2], body.data[0].id)
    const details = await h.call('GET', `/api/lambda-instances/${body.data[0].id}/`)
    t.equal(details.statusCode, 200)
    t.same(details.json().data[0].info.instance_info, { ...createBody, master_node_id: null }, 'stored exactly the body')
    t.same(details.json().data[0].status, { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' })
    const events = await h.service.log.readStream(instanceStream(body.data[0].id))
    t.same(events.map((e) => e.type), ['InstanceRequested'])
    t.match(events[0]!.metadata, { actor: h.alice.id })
    t.notMatch(JSON.stringify(events), h.alice.token, 'no token in the log')
  })
  t.test('defaults are filled in', async (t) => {
    const { ip_allocation, network_request, public_key_name, kafka_input_topics, kafka_output_topics, ...required } = createBody
    const res = await h.call('POST', '/api/lambda-instance', { payload: required })
    t.equal(res.statusCode, 202)
    const info = (await h.call('GET', `/api/lambda-instances/${res.json().data[0].id}`)).json().data[0].info.instance_info
    t.match(info, { ip_allocation: 'master', network_request: 1, public_key_name: [], kafka_input_topics: ['input'], kafka_output_topics: ['stream-output', 'batch-output'] })
  })
  const required = ['project_name', 'instance_name', 'master_name', 'vcpus_master', 'vcpus_slave', 'ram_master', 'ram_slave', 'disk_master', 'disk_slave', 'slaves']
  for (const field of required)
    t.test(`field not provided: ${field}`, async (t) => {
      const { [field as keyof typeof createBody]: _, ...body } = createBody
      const res = await h.call('POST', '/api/lambda-instance/', { payload: body })
      t.equal(res.statusCode, 400)
      t.same(res.json(), { errors: [{ status: 400, detail: [`${field}: This field is required.`] }] })
    })
  t.test('no field provided: one error per required field', async (t) => {
    const res = await h.call('POST', '/api/lambda-instance/', { payload: {} })
    t.equal(res.statusCode, 400)
    const errors = res.json().errors
    t.equal(errors.length, 10)
    t.same(errors.map((e: { detail: string[] }) => e.detail[0]!.split(':')[0]).sort(), [...required].sort())
    for (const e of errors) t.equal(e.detail.length, 1)
  })
  t.test('wrong values: exactly 7 errors with the original texts', async (t) => {
    const res = await h.call('POST', '/api/lambda-instance/', {
      payload: { ...createBody, vcpus_master: -4, vcpus_slave: -4, ram_master: -4096, ram_slave: -4096, disk_master: -20, disk_slave: -20, slaves: -2, ip_allocation: 'Hello World' },
    })
    t.equal(res.statusCode, 400)
    const details = res.json().errors.map((e: { detail: string[] }) => e.detail[0])
    t.equal(details.length, 7)
    const patterns = [
      /^vcpus_master: Wrong Number of master vcpus, available choices \[2, 4, 8\]\.$/,
      /^vcpus_slave: Wrong Number of slave vcpus, available choices \[.*\]\.$/,
      /^ram_master: Wrong Amount of master ram, available choices \[2048, 4096, 6144, 8192\]\.$/,
      /^ram_slave: Wrong Amount of slave ram, available choices \[.*\]\.$/,
      /^disk_master: Wrong Size of master disk, available choices \[10, .*\]\.$/,
      /^disk_slave: Wrong Size of slave disk, available choices \[.*\]\.$/,
      /^ip_allocation: Wrong choice for ip_allocation, available choices \['master'\]\.$/,
    ]
    for (const pattern of patterns) t.ok(details.some((d: string) => pattern.test(d)), String(pattern))
  })
  t.test('wrong types and unknown fields: one error per field', async (t) => {
    const res = await h.call('POST', '/api/lambda-instance/', {
      payload: { ...createBody, slaves: 'two', instance_name: '  ', public_key_name: 'x'.repeat(3) === 'xxx' ? 5 : [], color: 'blue' },
    })
    t.equal(res.statusCode, 400)
    t.same(
      res.json().errors.map((e: { detail: string[] }) => e.detail[0]).sort(),
      [
        'color: This field is not allowed.',
        'instance_name: This field may not be blank.',
        'public_key_name: Expected a list of items but got type "number".',
        'slaves: A valid integer is required.',
      ],
    )
  })
  t.test('a form body works like JSON (integers as strings)', async (t) => {
    const form = new URLSearchParams()
    for (const [k, v] of Object.entries(createBody)) for (const item of [v].flat()) form.append(k, String(item))
    const res = await h.call('POST', '/api/lambda-instance/', {
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    t.equal(res.statusCode, 202, res.body)
    const info = (await h.call('GET', `/api/lambda-instances/${res.json().data[0].id}`)).json().data[0].info.instance_info
    t.same(info, { ...createBody, master_node_id: null })
  })
  t.test('nothing was appended by the rejected requests', async (t) => {
    const before = await h.service.log.headPosition()
    await h.call('POST', '/api/lambda-instance/', { payload: {} })
    await h.call('POST', '/api/lambda-instance/', { payload: '{"broken', headers: { 'content-type': 'application/json' } })
    t.equal(await h.service.log.headPosition(), before)
  })
})

t.test('list (§8.2 TestLambdaInstancesList)', async (t) => {
  const h = await startHarness(t)
  t.test('empty', async (t) => {
    const res = await h.call('GET', '/api/lambda-instances/')
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: { code: 200, short_description: 'Lambda instances' }, data: [] })
  })
  t.test('N normal and M destroyed: N listed, with consistent statuses', async (t) => {
    const codes = instanceStatusCodes.filter((c) => c !== '6')
    for (const [i, code] of codes.entries()) await h.given(randomUUID(), requestedBy(h.alice.id, `name_${i}`), statusChanged(code))
    for (let i = 0; i < 3; i++) await h.given(randomUUID(), requestedBy(h.alice.id, `gone_${i}`), statusChanged('6'))
    const data = (await h.call('GET', '/api/lambda-instances/')).json().data
    t.equal(data.length, codes.length)
    for (const item of data) {
      t.same(Object.keys(item).sort(), ['id', 'name', 'running_app', 'status'])
      const code = item.status.code as InstanceStatusCode
      t.equal(item.status.message, instanceStatuses[code].name)
      t.equal(item.status.detail, instanceStatuses[code].detail)
    }
  })
  t.test('pagination: limit 0..N, offsets negative to beyond the end', async (t) => {
    const all = (await h.call('GET', '/api/lambda-instances/')).json().data as Array<{ name: string }>
    for (const [limit, offset] of [[0, 0], [3, 0], [3, -5], [5, 4], [100, 10], [2, 100], [7, 21], [1, 'x']] as const) {
      const res = await h.call('GET', `/api/lambda-instances/?limit=${limit}&offset=${offset}`)
      t.equal(res.statusCode, 200)
      const body = res.json()
      const start = typeof offset === 'number' && offset > 0 ? offset : 0
      t.same(body.data.map((i: { name: string }) => i.name), all.slice(start, start + limit).map((i) => i.name), `limit=${limit} offset=${offset}`)
      t.equal(body.pagination.count, all.length)
    }
    const middle = (await h.call('GET', '/api/lambda-instances/?limit=5&offset=8')).json().pagination
    t.match(middle.next, /\/api\/lambda-instances\/\?limit=5&offset=13$/)
    t.match(middle.previous, /\/api\/lambda-instances\/\?limit=5&offset=3$/)
    const second = (await h.call('GET', '/api/lambda-instances/?limit=5&offset=5')).json().pagination
    t.match(second.previous, /\/api\/lambda-instances\/\?limit=5$/, 'previous drops the offset at the first page')
    const first = (await h.call('GET', '/api/lambda-instances/?limit=5')).json().pagination
    t.equal(first.previous, null)
    const last = (await h.call('GET', `/api/lambda-instances/?limit=5&offset=${all.length - 2}`)).json().pagination
    t.equal(last.next, null)
  })
  for (const bad of ['-1', 'abc', '1.5', ''])
    t.test(`limit=${bad} is a 400`, async (t) => {
      const res = await h.call('GET', `/api/lambda-instances/?limit=${bad}`)
      t.equal(res.statusCode, 400)
      t.same(res.json(), { errors: [{ status: 400, detail: 'limit value should be an integer greater or equal to zero.' }] })
    })
})

t.test('details (§8.2 TestLambdaInstaceDetails)', async (t) => {
  const h = await startHarness(t)
  const id = randomUUID()
  await h.given(id, requestedBy(h.alice.id, 'details'))
  t.test('full', async (t) => {
    const res = await h.call('GET', `/api/lambda-instances/${id}/`)
    t.equal(res.statusCode, 200)
    t.same(res.json(), {
      status: { code: 200, short_description: 'Lambda instance details' },
      data: [{
        info: { id, name: 'details', instance_info: { ...createBody, instance_name: 'details', master_node_id: null } },
        status: { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' },
        applications: [],
      }],
    })
  })
  t.test('filter=status', async (t) => {
    const res = await h.call('GET', `/api/lambda-instances/${id}/?filter=status`)
    t.same(res.json().data, [{ status: { code: '2', message: 'PENDING', detail: 'Lambda instance installation is pending' }, id, name: 'details' }])
  })
  t.test('filter=info', async (t) => {
    const res = await h.call('GET', `/api/lambda-instances/${id}/?filter=info`)
    t.same(res.json().data, [{ info: { id, name: 'details', instance_info: { ...createBody, instance_name: 'details', master_node_id: null } } }])
  })
  t.test('a failure message shows when there is one; the master id once provisioned', async (t) => {
    const failed = randomUUID()
    await h.given(failed, requestedBy(h.alice.id, 'failed'), {
      type: 'ClusterProvisioned',
      data: { master: { id: 665007, name: 'm' }, slaves: [], network: { id: '1', subnet_id: '2', cidr: '192.168.0.0/24', gateway: '192.168.0.1' }, floating_ip: { id: '3', address: '83.212.116.58' } },
    }, statusChanged('11', 'Cyclades VMs out of limit'))
    const data = (await h.call('GET', `/api/lambda-instances/${failed}`)).json().data[0]
    t.same(data.status, { code: '11', message: 'CLUSTER_FAILED', detail: '~okeanos cluster build has failed', failure_message: 'Cyclades VMs out of limit' })
    t.equal(data.info.instance_info.master_node_id, 665007)
  })
  t.test('a wrong filter is a 400', async (t) => {
    const res = await h.call('GET', `/api/lambda-instances/${id}/?filter=wrong`)
    t.equal(res.statusCode, 400)
    t.same(res.json().errors, [{ status: 400, detail: 'filter GET parameter can be used with values status or info.' }])
  })
  t.test('a missing id is a 404, checked before the filter', async (t) => {
    const res = await h.call('GET', `/api/lambda-instances/${randomUUID()}/?filter=wrong`)
    t.equal(res.statusCode, 404)
    t.same(res.json().errors, [{ status: 404, detail: notFound }])
  })
  t.test('a malformed id is a 404', async (t) => {
    for (const bad of ['3', 'not-a-uuid', '..%2F..', 'x'.repeat(300)]) t.equal((await h.call('GET', `/api/lambda-instances/${bad}/`)).statusCode, 404)
  })
  t.test('a destroyed instance still has details', async (t) => {
    const gone = randomUUID()
    await h.given(gone, requestedBy(h.alice.id, 'gone'), statusChanged('6'))
    t.equal((await h.call('GET', `/api/lambda-instances/${gone}/`)).json().data[0].status.message, 'DESTROYED')
  })
})

t.test('destroy (§8.2 LambdaInstanceDestroy)', async (t) => {
  const h = await startHarness(t)
  t.test('202, DESTROYING right after', async (t) => {
    const id = randomUUID()
    await h.given(id, requestedBy(h.alice.id), statusChanged('0'))
    const res = await h.call('DELETE', `/api/lambda-instances/${id}/`)
    t.equal(res.statusCode, 202)
    t.same(res.json(), { status: { code: 202, short_description: 'Your request to destroy the specified lambda instance has been accepted' } })
    t.equal((await h.call('GET', `/api/lambda-instances/${id}/?filter=status`)).json().data[0].status.message, 'DESTROYING')
    const events = await h.service.log.readStream(instanceStream(id))
    t.equal(events.at(-1)!.type, 'InstanceDestroyRequested')
  })
  t.test('a CLUSTER_FAILED instance can be destroyed', async (t) => {
    const id = randomUUID()
    await h.given(id, requestedBy(h.alice.id), statusChanged('11', 'Cyclades VMs out of limit'))
    t.equal((await h.call('DELETE', `/api/lambda-instances/${id}`)).statusCode, 202)
  })
  t.test('missing: 404', async (t) => {
    const res = await h.call('DELETE', `/api/lambda-instances/${randomUUID()}/`)
    t.equal(res.statusCode, 404)
    t.same(res.json().errors, [{ status: 404, detail: notFound }])
  })
  t.test('already destroyed: 409', async (t) => {
    const id = randomUUID()
    await h.given(id, requestedBy(h.alice.id), statusChanged('6'))
    const res = await h.call('DELETE', `/api/lambda-instances/${id}/`)
    t.equal(res.statusCode, 409)
    t.same(res.json().errors, [{ status: 409, detail: 'The specified lambda instance is already destroyed.' }])
  })
})

t.test('start and stop (§8.2 TestLambdaInstanceStart/Stop/Action)', async (t) => {
  const h = await startHarness(t)
  const inStatus = async (code: string) => {
    const id = randomUUID()
    await h.given(id, requestedBy(h.alice.id), ...(code === '2' ? [] : [statusChanged(code)]))
    return id
  }
  const act = (id: string, action: string) =>
    h.call('POST', `/api/lambda-instances/${id}/`, { payload: `action=${action}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  for (const [action, from, next] of [['start', '1', '3'], ['start', '9', '3'], ['stop', '0', '4'], ['stop', '9', '4']] as const)
    t.test(`${action} from ${instanceStatuses[from].name}: 202, ${instanceStatuses[next].name} right after`, async (t) => {
      const id = await inStatus(from)
      const res = await act(id, action)
      t.equal(res.statusCode, 202)
      t.same(res.json(), { status: { code: 202, short_description: 'Your request has been accepted' } })
      t.equal((await h.call('GET', `/api/lambda-instances/${id}?filter=status`)).json().data[0].status.code, next)
    })
  t.test('start: already started', async (t) => {
    const res = await act(await inStatus('0'), 'start')
    t.equal(res.statusCode, 409)
    t.same(res.json().errors, [{ status: 409, detail: 'The specified lambda instance is already started.' }])
  })
  t.test('stop: already stopped', async (t) => {
    const res = await act(await inStatus('1'), 'stop')
    t.same([res.statusCode, res.json().errors[0].detail], [409, 'The specified lambda instance is already stopped.'])
  })
  for (const code of ['2', '3', '4', '5', '6', '7', '8', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21'] as const) {
    t.test(`start from ${instanceStatuses[code].name}: 409`, async (t) => {
      const res = await act(await inStatus(code), 'start')
      t.same([res.statusCode, res.json().errors[0].detail], [409, `Can't start a lambda instance while lambda instance status is ${instanceStatuses[code].name}.`])
    })
    t.test(`stop from ${instanceStatuses[code].name}: 409`, async (t) => {
      const res = await act(await inStatus(code), 'stop')
      t.same([res.statusCode, res.json().errors[0].detail], [409, `Can't stop a lambda instance while lambda instance status is ${instanceStatuses[code].name}.`])
    })
  }
  t.test('missing instance: 404', async (t) => t.equal((await act(randomUUID(), 'start')).statusCode, 404))
  t.test('a non-existent action: 400', async (t) => {
    const res = await act(await inStatus('0'), 'reboot')
    t.same([res.statusCode, res.json().errors], [400, [{ status: 400, detail: 'action POST parameter can be used with start or stop value.' }]])
  })
  t.test('a non-existent action on a missing instance: 404 (the instance is looked up first)', async (t) =>
    t.equal((await act(randomUUID(), 'reboot')).statusCode, 404))
  t.test('no action at all: 400', async (t) => {
    const res = await h.call('POST', `/api/lambda-instances/${await inStatus('0')}/`)
    t.equal(res.statusCode, 400)
  })
  t.test('JSON and multipart bodies work too', async (t) => {
    const json = await h.call('POST', `/api/lambda-instances/${await inStatus('1')}/`, { payload: { action: 'start' } })
    t.equal(json.statusCode, 202)
    const boundary = 'X-BOUNDARY'
    const multipart = await h.call('POST', `/api/lambda-instances/${await inStatus('0')}/`, {
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nstop\r\n--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    })
    t.equal(multipart.statusCode, 202, multipart.body)
  })
})

t.test('count (§8.2 TestLambdaInstancesCount)', async (t) => {
  const h = await startHarness(t)
  for (let i = 0; i < 4; i++) await h.given(randomUUID(), requestedBy(h.alice.id))
  await h.given(randomUUID(), requestedBy(h.alice.id), statusChanged('6'))
  const res = await h.call('GET', '/api/lambda-instances/count/')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: { code: 200, short_description: 'Number of Lambda Instances' }, data: [{ count: 4 }] })
})

t.test('two owners: no endpoint shows or changes the other one\'s instances', async (t) => {
  const h = await startHarness(t)
  const created = await h.call('POST', '/api/lambda-instance/', { payload: createBody, token: h.alice.token })
  const id = created.json().data[0].id
  await h.given(id, statusChanged('0'))
  await h.call('POST', '/api/lambda-instance/', { payload: { ...createBody, instance_name: 'bobs' }, token: h.bob.token })
  const asBob = { token: h.bob.token }
  t.same((await h.call('GET', '/api/lambda-instances/', asBob)).json().data.map((i: { name: string }) => i.name), ['bobs'])
  t.same((await h.call('GET', '/api/lambda-instances/count', asBob)).json().data, [{ count: 1 }])
  t.equal((await h.call('GET', `/api/lambda-instances/${id}`, asBob)).statusCode, 404)
  t.equal((await h.call('POST', `/api/lambda-instances/${id}`, { ...asBob, payload: { action: 'stop' } })).statusCode, 404)
  t.equal((await h.call('DELETE', `/api/lambda-instances/${id}`, asBob)).statusCode, 404)
  t.equal((await h.call('POST', `/api/lambda_instances/${id}/status/`, { ...asBob, payload: { status: '1' } })).statusCode, 404)
  t.equal((await h.call('DELETE', `/api/lambda_instances/${id}`, asBob)).statusCode, 404)
  t.same((await h.call('GET', '/api/lambda_instances/', asBob)).json().data.map((i: { name: string }) => i.name), ['bobs'])
  t.equal((await h.call('GET', `/api/lambda-instances/${id}?filter=status`)).json().data[0].status.message, 'STARTED', "alice's instance is untouched")
})
