import type { ApplicationEvent } from '../../src/applications/events.js'
import type { InstanceEvent } from '../../src/instances/events.js'

/** The body of the original's create tests (docs/original.md "What the original's tests asserted"): all 15 fields. */
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

type UploadRequest = Extract<ApplicationEvent, { type: 'AppUploadRequested' }>['data']

/** An application's upload as the decider records it: a batch jar of one byte in project p's container. */
export const uploadRequestedBy = (owner: string, name = 'app.jar', data: Partial<UploadRequest> = {}): ApplicationEvent => ({
  type: 'AppUploadRequested',
  data: {
    owner, name, project_id: 'p', project_name: 'lambda.grnet.gr', container: 'lambda_applications_lambda.grnet.gr',
    description: '', type: 'BATCH', execution_environment_name: '', size: 1, ...data,
  },
})

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
