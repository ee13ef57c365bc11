import { Type } from 'typebox'
import { AnyObject, StatusView } from '../../platform/http/schemas.js'

// Schemas of the instance routes' documentation. Documentation only: these routes validate by hand, with the
// original's messages (spec.ts, params.ts), which a validating schema would replace with its own.

export const instanceTags = ['lambda instances']

export const InstanceIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The lambda instance id (a malformed one answers 404).' }),
})

const int = (description: string) => Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]+$' })], { description })
const list = (description: string) => Type.Union([Type.Array(Type.String()), Type.String()], { description })

export const CreateBody = Type.Object(
  {
    project_name: Type.String({ description: 'The ~okeanos project whose quota the cluster uses.' }),
    instance_name: Type.String(),
    master_name: Type.String(),
    slaves: int('Number of slave VMs.'),
    vcpus_master: int('One of GET /api/vm-parameter-values/ vcpus.'),
    vcpus_slave: int('One of GET /api/vm-parameter-values/ vcpus.'),
    ram_master: int('MB; one of GET /api/vm-parameter-values/ ram.'),
    ram_slave: int('MB; one of GET /api/vm-parameter-values/ ram.'),
    disk_master: int('GB; one of GET /api/vm-parameter-values/ disk.'),
    disk_slave: int('GB; one of GET /api/vm-parameter-values/ disk.'),
    ip_allocation: Type.Optional(Type.String({ enum: ['master'], default: 'master' })),
    network_request: Type.Optional(int('Default 1.')),
    public_key_name: Type.Optional(list('Names of the user\'s ~okeanos SSH keys to install; default none.')),
    kafka_input_topics: Type.Optional(list('Default ["input"].')),
    kafka_output_topics: Type.Optional(list('Default ["stream-output", "batch-output"].')),
  },
  { additionalProperties: false, description: "The original's create body; integers may be sent as strings (forms). Unknown fields are errors." },
)

export const InstanceItem = Type.Object({ id: Type.String(), name: Type.String(), status: StatusView, running_app: Type.Boolean() })

const Info = Type.Object({ id: Type.String(), name: Type.String(), instance_info: AnyObject })
const Application = Type.Object({ name: Type.String(), id: Type.String(), started: Type.Boolean(), type: Type.String() })

export const InstanceDetails = Type.Union([
  Type.Object({ info: Info, status: StatusView, applications: Type.Array(Application) }, { description: 'No filter.' }),
  Type.Object({ status: StatusView, id: Type.String(), name: Type.String() }, { description: '`filter=status`.' }),
  Type.Object({ info: Info }, { description: '`filter=info`.' }),
])

/** An instance record as the status family lists it. */
export const RawInstance = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  instance_info: Type.String({ description: 'As the service VM sent it (a JSON string).' }),
  status: Type.String(),
  failure_message: Type.String(),
})
