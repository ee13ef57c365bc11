import type { InstanceEvent } from '../../src/instances/events.js'

/** The body of the original's create tests (upstream §8.2): all 15 fields. */
export const createBody = {
  project_name: 'lambda.grnet.gr',
  instance_name: 'My first Lambda Instance',
  master_name: 'lambda-master',
  vcpus_master: 4,
  vcpus_slave: 4,
  ram_master: 4096,
  ram_slave: 4096,
  disk_master: 20,
  disk_slave: 20,
  slaves: 2,
  ip_allocation: 'master',
  network_request: 1,
  public_key_name: ['key-1', 'key-2'],
  kafka_input_topics: ['input', 'private_input'],
  kafka_output_topics: ['output', 'stream_output', 'batch_output'],
}

export const requestedBy = (owner: string, name = 'instance'): InstanceEvent => ({
  type: 'InstanceRequested',
  data: { owner, owner_name: null, name, instance_info: { ...createBody, instance_name: name } },
})

export const statusChanged = (status: string, failure_message = ''): InstanceEvent =>
  ({ type: 'InstanceStatusChanged', data: { status, failure_message, source: 'reactor' } }) as InstanceEvent

/** The build's end as the provisioning reactor records it: a master, no slaves. */
export const provisioned: InstanceEvent = {
  type: 'ClusterProvisioned',
  data: {
    master: { id: 1, name: 'master' },
    slaves: [],
    network: { id: 'n', subnet_id: 's', cidr: '192.168.0.0/24', gateway: '192.168.0.1' },
    floating_ip: { id: 'ip', address: '10.0.0.1' },
  },
}

/** The history of an instance built and STARTED, every install stage reported. */
export const started: InstanceEvent[] = [requestedBy('alice'), provisioned, ...['10', '12', '14', '16', '18', '20', '22', '0'].map((s) => statusChanged(s))]
