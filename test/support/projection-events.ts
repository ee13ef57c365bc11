import fc from 'fast-check'

// Random events of the instance streams for the read models' property tests: every type the instance read
// model handles, including sequences the decider would never allow.

export const ids = ['a', 'b', 'c', 'd', 'e']
export const owners = ['alice', 'bob']
const statuses = ['0', '1', '2', '3', '4', '5', '6', '9', '10', '11', '22']
const apps = ['app-1', 'app-2']
export const plainInfo = { instance_name: 'x', slaves: 2, kafka_input_topics: ['in'] }

/** An event of an instance stream, of any type the instance read model knows, with ids from `ids`. */
export const instanceEvent = fc.oneof(
  fc.record({ type: fc.constant('InstanceRequested'), id: fc.constantFrom(...ids), data: fc.record({
    owner: fc.constantFrom(...owners), owner_name: fc.constant(null), name: fc.string({ maxLength: 4 }), instance_info: fc.constant(plainInfo) }) }),
  fc.record({ type: fc.constant('InstanceRegistered'), id: fc.constantFrom(...ids), data: fc.record({
    owner: fc.constantFrom(...owners), name: fc.constantFrom('r', 'ü"'),
    instance_info: fc.constantFrom(plainInfo, JSON.stringify(plainInfo), { master_node_id: 7, a: 1 }, 'not json', [1]),
    status: fc.constantFrom(...statuses), failure_message: fc.constantFrom('', 'broke') }) }),
  fc.record({ type: fc.constantFrom('InstanceStartRequested', 'InstanceStopRequested', 'InstanceDestroyRequested'), id: fc.constantFrom(...ids), data: fc.constant({}) }),
  fc.record({ type: fc.constant('InstanceStatusChanged'), id: fc.constantFrom(...ids), data: fc.record({
    status: fc.constantFrom(...statuses), failure_message: fc.constantFrom('', 'Ansible task failed'), source: fc.constant('reactor') }) }),
  fc.record({ type: fc.constant('ClusterProvisioned'), id: fc.constantFrom(...ids), data: fc.record({
    master: fc.record({ id: fc.integer({ min: 1, max: 99 }), name: fc.constant('m') }), slaves: fc.constant([]),
    network: fc.constant({ id: '1', subnet_id: '2', cidr: '192.168.0.0/24', gateway: '192.168.0.1' }),
    floating_ip: fc.constant({ id: '3', address: '83.212.1.1' }) }) }),
  fc.record({ type: fc.constant('AppDeployRequested'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), name: fc.constant('wc.jar'), type: fc.constantFrom('BATCH', 'STREAMING'), container: fc.constant('c') }) }),
  fc.record({ type: fc.constantFrom('AppDeployFailed', 'AppWithdrawn', 'AppStarted', 'AppStopped'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), failure_message: fc.constant('no') }) }),
  fc.record({ type: fc.constant('AppJobFailed'), id: fc.constantFrom(...ids), data: fc.record({
    app_id: fc.constantFrom(...apps), action: fc.constantFrom('start', 'stop', 'withdraw'), failure_message: fc.constant('no') }) }),
  fc.record({ type: fc.constant('ProvisioningStarted'), id: fc.constantFrom(...ids), data: fc.constant({}) }),
)
