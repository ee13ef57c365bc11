import t from 'tap'
import type { InstanceEvent, InstanceSpec } from '../../src/instances/events.js'
import { instanceActionCommands, instanceDecider, messages, refuseUnknownAction, type Actor, type InstanceAction, type InstanceCommand } from '../../src/instances/decider.js'
import { InstanceStatus, instanceStatusCodes, instanceStatusName, type InstanceStatusCode } from '../../src/instances/statuses.js'
import { deciderSpec } from '../support/decider-spec.js'
import { createBody } from '../support/fixtures.js'

const spec = deciderSpec(instanceDecider)
const id = '3f763964-d519-4fd2-916d-b5cfbe3b878b'
const alice: Actor = { kind: 'user', owner: 'alice-uuid' }
const bob: Actor = { kind: 'user', owner: 'bob-uuid' }
const ownVm: Actor = { kind: 'service-vm', instanceId: id }
const otherVm: Actor = { kind: 'service-vm', instanceId: 'another-instance' }
const reactor: Actor = { kind: 'reactor', name: 'provisioning' }

const instanceSpec: InstanceSpec = { ...createBody, instance_name: 'My first Lambda Instance' }
const requested: InstanceEvent = {
  type: 'InstanceRequested',
  data: { owner: 'alice-uuid', owner_name: null, name: instanceSpec.instance_name, instance_info: instanceSpec },
}
const statusChanged = (status: InstanceStatusCode, failure_message = ''): InstanceEvent => ({
  type: 'InstanceStatusChanged',
  data: { status, failure_message, source: 'reactor' },
})
const inStatus = (status: InstanceStatusCode): InstanceEvent[] =>
  status === InstanceStatus.PENDING ? [requested] : [requested, statusChanged(status)]
const action = (action: InstanceAction, actor: Actor = alice): InstanceCommand => ({ type: instanceActionCommands[action], id, actor })

t.test('create', async (t) => {
  t.test('a new instance is requested', async (t) =>
    spec
      .given([])
      .when({ type: 'RequestInstance', id, owner: 'alice-uuid', name: 'My first Lambda Instance', spec: instanceSpec })
      .then(t, [requested]))
  t.test('an existing id is refused', async (t) =>
    spec
      .given([requested])
      .when({ type: 'RequestInstance', id, owner: 'alice-uuid', name: 'x', spec: instanceSpec })
      .rejects(t, 'conflict', messages.alreadyCreated))
})

t.test('register (status family)', async (t) => {
  const register: InstanceCommand = {
    type: 'RegisterInstance',
    id,
    owner: 'alice-uuid',
    name: 'n',
    instanceInfo: 'test_content',
    status: '0',
    failureMessage: 'OK',
  }
  t.test('records the instance as sent', async (t) =>
    spec.given([]).when(register).then(t, [
      {
        type: 'InstanceRegistered',
        data: { owner: 'alice-uuid', name: 'n', instance_info: 'test_content', status: '0', failure_message: 'OK' },
      },
    ]))
  t.test('a uuid that exists, for any owner, is a conflict', async (t) =>
    spec.given([requested]).when({ ...register, owner: 'bob-uuid' }).rejects(t, 'conflict', messages.alreadyCreated))
})

t.test('start (docs/original.md "Start and stop")', async (t) => {
  for (const from of [InstanceStatus.STOPPED, InstanceStatus.FAILED])
    t.test(`from ${instanceStatusName(from)}`, async (t) =>
      spec.given(inStatus(from)).when(action('start')).then(t, [{ type: 'InstanceStartRequested', data: {} }]))
  t.test('already started', async (t) =>
    spec.given(inStatus(InstanceStatus.STARTED)).when(action('start')).rejects(t, 'conflict', messages.alreadyStarted))
  for (const from of instanceStatusCodes.filter((c) => !['0', '1', '9'].includes(c)))
    t.test(`from ${instanceStatusName(from)} is refused`, async (t) =>
      spec
        .given(inStatus(from))
        .when(action('start'))
        .rejects(t, 'conflict', `Can't start a lambda instance while lambda instance status is ${instanceStatusName(from)}.`))
})

t.test('stop (docs/original.md "Start and stop")', async (t) => {
  for (const from of [InstanceStatus.STARTED, InstanceStatus.FAILED])
    t.test(`from ${instanceStatusName(from)}`, async (t) =>
      spec.given(inStatus(from)).when(action('stop')).then(t, [{ type: 'InstanceStopRequested', data: {} }]))
  t.test('already stopped', async (t) =>
    spec.given(inStatus(InstanceStatus.STOPPED)).when(action('stop')).rejects(t, 'conflict', messages.alreadyStopped))
  for (const from of instanceStatusCodes.filter((c) => !['0', '1', '9'].includes(c)))
    t.test(`from ${instanceStatusName(from)} is refused`, async (t) =>
      spec
        .given(inStatus(from))
        .when(action('stop'))
        .rejects(t, 'conflict', `Can't stop a lambda instance while lambda instance status is ${instanceStatusName(from)}.`))
})

t.test('actions: order of checks', async (t) => {
  const unknownAction = (history: InstanceEvent[]) => {
    try {
      return refuseUnknownAction(spec.given(history).state(), id, alice)
    } catch (error) {
      return error
    }
  }
  t.test('an unknown action on an existing instance is invalid', async (t) =>
    t.match(unknownAction(inStatus(InstanceStatus.STARTED)), { kind: 'invalid', detail: messages.badAction }))
  t.test('a missing instance is not found before the action is looked at', async (t) =>
    t.match(unknownAction([]), { kind: 'not_found', detail: messages.notFound }))
  t.test("another owner's instance is not found", async (t) =>
    spec.given(inStatus(InstanceStatus.STOPPED)).when(action('start', bob)).rejects(t, 'not_found', messages.notFound))
})

t.test('destroy (docs/original.md "Destroy")', async (t) => {
  for (const from of instanceStatusCodes.filter((c) => c !== InstanceStatus.DESTROYED))
    t.test(`from ${instanceStatusName(from)}`, async (t) =>
      spec
        .given(inStatus(from))
        .when({ type: 'DestroyInstance', id, actor: alice })
        .then(t, [{ type: 'InstanceDestroyRequested', data: {} }]))
  t.test('already destroyed', async (t) =>
    spec
      .given(inStatus(InstanceStatus.DESTROYED))
      .when({ type: 'DestroyInstance', id, actor: alice })
      .rejects(t, 'conflict', messages.alreadyDestroyed))
  t.test('missing', async (t) =>
    spec.given([]).when({ type: 'DestroyInstance', id, actor: alice }).rejects(t, 'not_found', messages.notFound))
  t.test("another owner's", async (t) =>
    spec.given([requested]).when({ type: 'DestroyInstance', id, actor: bob }).rejects(t, 'not_found', messages.notFound))
})

t.test('status changes (docs/original.md "Status family")', async (t) => {
  const change = (status: InstanceStatusCode, actor: Actor = ownVm, failureMessage = ''): InstanceCommand => ({
    type: 'ChangeInstanceStatus',
    id,
    actor,
    status,
    failureMessage,
  })
  t.test('the service VM reports a stage', async (t) =>
    spec
      .given(inStatus(InstanceStatus.CLUSTER_CREATED))
      .when(change(InstanceStatus.INIT_DONE))
      .then(t, [{ type: 'InstanceStatusChanged', data: { status: '12', failure_message: '', source: 'service-vm' } }]))
  t.test("a service VM's first stage while PENDING shows the cluster was created first", async (t) =>
    spec
      .given([requested])
      .when(change(InstanceStatus.INIT_DONE))
      .then(t, [
        { type: 'InstanceStatusChanged', data: { status: '10', failure_message: '', source: 'service-vm' } },
        { type: 'InstanceStatusChanged', data: { status: '12', failure_message: '', source: 'service-vm' } },
      ]))
  t.test('the owner may report too', async (t) =>
    spec
      .given(inStatus(InstanceStatus.STARTED))
      .when(change(InstanceStatus.FLINK_FAILED, alice, 'Ansible task failed'))
      .then(t, [
        { type: 'InstanceStatusChanged', data: { status: '21', failure_message: 'Ansible task failed', source: 'user' } },
      ]))
  t.test('an unchanged status is a conflict naming the code', async (t) =>
    spec
      .given(inStatus(InstanceStatus.STARTED))
      .when(change(InstanceStatus.STARTED))
      .rejects(t, 'conflict', 'The specified lambda instance status is already 0.'))
  t.test("another instance's token cannot touch it", async (t) =>
    spec.given([requested]).when(change('10', otherVm)).rejects(t, 'not_found', messages.notFound))
  t.test("another owner's token cannot touch it", async (t) =>
    spec.given([requested]).when(change('10', bob)).rejects(t, 'not_found', messages.notFound))
  t.test('a missing instance', async (t) => spec.given([]).when(change('10')).rejects(t, 'not_found', messages.notFound))
  t.test('a late report cannot revive a dying instance', async (t) =>
    spec
      .given(inStatus(InstanceStatus.DESTROYING))
      .when(change(InstanceStatus.KAFKA_INSTALLED))
      .rejects(t, 'conflict', messages.cantChangeStatus(InstanceStatus.DESTROYING)))
  t.test('but the destroy reactor says how destroying ended', async (t) =>
    spec
      .given(inStatus(InstanceStatus.DESTROYING))
      .when(change(InstanceStatus.DESTROYED, reactor))
      .then(t, [{ type: 'InstanceStatusChanged', data: { status: '6', failure_message: '', source: 'reactor' } }]))
  t.test('destroyed is final', async (t) =>
    spec
      .given(inStatus(InstanceStatus.DESTROYED))
      .when(change(InstanceStatus.STARTED, reactor))
      .rejects(t, 'conflict', messages.cantChangeStatus(InstanceStatus.DESTROYED)))
})

t.test('mark destroyed (status family DELETE)', async (t) => {
  const mark = (actor: Actor = alice): InstanceCommand => ({ type: 'MarkInstanceDestroyed', id, actor })
  const registered: InstanceEvent = {
    type: 'InstanceRegistered',
    data: { owner: 'alice-uuid', name: 'n', instance_info: 'test_content', status: '0', failure_message: 'OK' },
  }
  t.test('a registered record, with no cluster of ours, is marked destroyed at once', async (t) =>
    spec.given([registered]).when(mark()).then(t, [
      { type: 'InstanceStatusChanged', data: { status: '6', failure_message: '', source: 'user' } },
    ]))
  t.test('its own service VM may mark it too', async (t) =>
    spec.given([registered]).when(mark(ownVm)).then(t, [
      { type: 'InstanceStatusChanged', data: { status: '6', failure_message: '', source: 'service-vm' } },
    ]))
  for (const from of [InstanceStatus.PENDING, InstanceStatus.STARTED, InstanceStatus.CLUSTER_FAILED, InstanceStatus.DESTROYING])
    t.test(`an instance requested here (${instanceStatusName(from)}) is a destroy request, never a record marked dead`, async (t) =>
      spec.given(inStatus(from)).when(mark()).then(t, [{ type: 'InstanceDestroyRequested', data: {} }]))
  t.test('an instance whose provisioning started is a destroy request, whoever asks', async (t) =>
    spec
      .given([requested, { type: 'ProvisioningStarted', data: { project_id: 'p' } }, { type: 'ClusterResourceCreated', data: { kind: 'network', id: 'n1' } }])
      .when(mark(ownVm))
      .then(t, [{ type: 'InstanceDestroyRequested', data: {} }]))
  t.test('already destroyed is not found', async (t) =>
    spec.given(inStatus(InstanceStatus.DESTROYED)).when(mark()).rejects(t, 'not_found', messages.notFound))
  t.test("another owner's is not found", async (t) =>
    spec.given([requested]).when(mark(bob)).rejects(t, 'not_found', messages.notFound))
})

t.test('evolve: the status after each event', async (t) => {
  const fold = (events: InstanceEvent[]) => events.reduce(instanceDecider.evolve, instanceDecider.initialState())
  t.match(fold([requested]), { exists: true, owner: 'alice-uuid', status: '2', failureMessage: '' })
  t.match(fold([requested, statusChanged('11', 'Cyclades VMs out of limit')]), {
    status: '11',
    failureMessage: 'Cyclades VMs out of limit',
  })
  t.match(fold([requested, statusChanged('9', 'boom'), { type: 'InstanceStartRequested', data: {} }]), {
    status: '3',
    failureMessage: '',
  })
  t.match(fold([requested, statusChanged('0'), { type: 'InstanceStopRequested', data: {} }]), { status: '4' })
  t.match(fold([requested, { type: 'InstanceDestroyRequested', data: {} }]), { status: '5' })
  t.same(fold([statusChanged('0')]), { exists: false }, 'a status without a creation leaves nothing')
})

t.test('provisioning records (the reactor)', async (t) => {
  const cluster = {
    master: { id: 10, name: 'm' },
    slaves: [{ id: 11, name: 'lambda-node1' }],
    network: { id: 'n', subnet_id: 's', cidr: '192.168.0.0/24', gateway: '192.168.0.1' },
    floating_ip: { id: 'ip', address: '83.212.116.2' },
  }
  const started: InstanceEvent = { type: 'ProvisioningStarted', data: { project_id: 'p' } }
  t.test('starting twice records once', async (t) =>
    spec.given([requested, started]).when({ type: 'StartProvisioning', id, actor: reactor, projectId: 'p' }).then(t, []))
  t.test('completing while PENDING records the cluster and CLUSTER_CREATED', async (t) =>
    spec.given([requested, started]).when({ type: 'CompleteProvisioning', id, actor: reactor, cluster }).then(t, [
      { type: 'ClusterProvisioned', data: cluster },
      { type: 'InstanceStatusChanged', data: { status: '10', failure_message: '', source: 'reactor' } },
    ]))
  t.test('completing after the service VM reported a stage does not pull the status back', async (t) =>
    spec
      .given([requested, started, statusChanged('10'), statusChanged('12')])
      .when({ type: 'CompleteProvisioning', id, actor: reactor, cluster })
      .then(t, [{ type: 'ClusterProvisioned', data: cluster }]))
  t.test('the resources fold into the provisioning state', async (t) => {
    const state = [
      requested,
      started,
      { type: 'ClusterResourceCreated', data: { kind: 'network', id: 'n1' } },
      { type: 'ClusterResourceCreated', data: { kind: 'floating-ip', id: 'ip1', address: '83.212.116.9' } },
      { type: 'ClusterResourceCreated', data: { kind: 'server', id: '7', name: 'm', role: 'master' } },
      { type: 'ClusterResourceCreated', data: { kind: 'server', id: '8', name: 'lambda-node1', role: 'slave' } },
      { type: 'ClusterResourceCreated', data: { kind: 'server', id: '8', name: 'lambda-node1', role: 'slave' } },
    ].reduce((s, e) => instanceDecider.evolve(s, e as InstanceEvent), instanceDecider.initialState())
    t.match(state, {
      provisioning: { projectId: 'p', network: 'n1', floatingIp: { id: 'ip1', address: '83.212.116.9' }, master: { id: 7, name: 'm' }, slaves: [{ id: 8, name: 'lambda-node1' }] },
    })
  })
})
