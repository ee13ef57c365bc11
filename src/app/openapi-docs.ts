import { Type } from 'typebox'
import {
  accepted,
  AnyObject,
  authErrors,
  commandErrors,
  errors,
  PageQuery,
  paginated,
  StatusView,
  success,
  type RouteDocs,
} from '../platform/http/schemas.js'
import { InstanceIdParams, StatusCodeString } from '../instances/routes/schemas.js'

// The documentation of the routes of src/instances/routes/{commands,status-family,okeanos-info}.ts and
// src/applications/routes/{apps,status-family}.ts, by
// "METHOD url" as Fastify registers them. It lives here rather than on the routes because those routes validate
// by hand, with the original's messages: a schema on the route would make Fastify validate (and coerce) too.
// A route declared with `config: { docs }` (the newer ones) documents itself instead.

const instanceTags = ['lambda instances']
const statusTags = ['status updates (service VMs)']
const okeanosTags = ['~okeanos']

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
  { additionalProperties: false, description: 'Upstream §5.1; integers may be sent as strings (forms). Unknown fields are errors.' },
)

const IdData = Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }) }))

const Info = Type.Object({ id: Type.String(), name: Type.String(), instance_info: AnyObject })
const Application = Type.Object({ name: Type.String(), id: Type.String(), started: Type.Boolean(), type: Type.String() })
const Details = Type.Union([
  Type.Object({ info: Info, status: StatusView, applications: Type.Array(Application) }, { description: 'No filter.' }),
  Type.Object({ status: StatusView, id: Type.String(), name: Type.String() }, { description: '`filter=status`.' }),
  Type.Object({ info: Info }, { description: '`filter=info`.' }),
])

const RawInstance = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  instance_info: Type.String({ description: 'As the service VM sent it (a JSON string).' }),
  status: Type.String(),
  failure_message: Type.String(),
})

const StatusBody = Type.Object({ status: StatusCodeString, failure_message: Type.Optional(Type.String()) })

const byIdTags = { tags: instanceTags, params: InstanceIdParams }

const appTags = ['applications']
const statusAppTags = ['status updates (service VMs)']
const AppIdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'The application id (a malformed one answers 404).' }) })
const OnInstance = Type.Object({ lambda_instance_id: Type.String({ format: 'uuid' }) })
const AppItem = Type.Object({ id: Type.String(), name: Type.String(), type: Type.String(), status: StatusView, deployed: Type.Boolean() })
const AppDetails = Type.Object({
  id: Type.String(),
  name: Type.String(),
  path: Type.String({ description: 'The Pithos container.' }),
  type: Type.String(),
  description: Type.String(),
  execution_environment_name: Type.String(),
  status: StatusView,
  lambda_instances: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), started: Type.Boolean(), status: StatusView })),
})
const RawApp = Type.Object({ uuid: Type.String(), description: Type.String(), name: Type.String(), status: Type.String(), failure_message: Type.String() })
const AppStatusBody = Type.Object({ status: Type.String({ enum: ['0', '1', '2'] }), failure_message: Type.Optional(Type.String()) })
const onInstanceDocs = (action: string, description: string): RouteDocs => ({
  summary: `${action[0]!.toUpperCase()}${action.slice(1)} an application on a lambda instance`,
  description,
  tags: appTags,
  params: AppIdParams,
  body: OnInstance,
  response: { 202: accepted(`Your request to ${action} the specified application has been accepted`), ...commandErrors(404, 409) },
})
const timesStarted = (action: string): RouteDocs => ({
  summary: `${action[0]!.toUpperCase()}${action.slice(1)} how often an application was started (service VM)`,
  tags: statusAppTags,
  params: AppIdParams,
  response: {
    202: Type.Object({ code: Type.Integer(), short_description: Type.String() }, { description: 'Un-nested, as the original answers.' }),
    ...commandErrors(404),
  },
})

export const routeDocs: Record<string, RouteDocs> = {
  'GET /api/authenticate': {
    summary: 'Check the token and return the user\'s name',
    tags: ['authentication'],
    response: {
      200: Type.Object({ status: Type.Integer(), result: Type.String(), data: Type.Object({ name: Type.String() }) }),
      ...authErrors(),
    },
  },
  'GET /api/user-public-keys': {
    summary: 'The user\'s SSH public keys on ~okeanos',
    tags: okeanosTags,
    response: {
      200: success(
        'Public keys uploaded to ~okeanos',
        Type.Array(Type.Object({ uri: Type.String(), id: Type.String(), name: Type.String(), content: Type.String(), fingerprint: Type.String() })),
      ),
      ...authErrors(502),
    },
  },
  'GET /api/user-okeanos-projects': {
    summary: 'The user\'s active ~okeanos projects with the quota still available',
    tags: okeanosTags,
    response: {
      200: success(
        '~okeanos projects',
        Type.Array(
          Type.Object({
            id: Type.String(),
            name: Type.String(),
            ...Object.fromEntries(
              ['cpu', 'disk', 'floating_ip', 'private_network', 'ram', 'vm', 'pithos_space'].map((field) => [field, Type.Number()]),
            ),
          }),
        ),
      ),
      ...authErrors(502),
    },
  },
  'GET /api/vm-parameter-values': {
    summary: 'The vCPU, RAM and disk sizes the creatable flavors allow',
    tags: okeanosTags,
    response: {
      200: success(
        'Allowed values of parameters for creating a Lambda Instance',
        Type.Array(Type.Object({ vcpus: Type.Array(Type.Integer()), ram: Type.Array(Type.Integer()), disk: Type.Array(Type.Integer()) })),
      ),
      ...authErrors(502),
    },
  },
  'POST /api/lambda-instance': {
    summary: 'Create a lambda instance',
    description: 'Appends `InstanceRequested`; the cluster is then built on ~okeanos. Quota shortfalls end in CLUSTER_FAILED.',
    tags: instanceTags,
    body: CreateBody,
    response: {
      202: accepted(
        'Your request to create a new lambda instance has been accepted',
        Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), links: Type.Object({ self: Type.String() }) })),
      ),
      ...commandErrors(),
    },
  },
  'GET /api/lambda-instances': {
    summary: 'The user\'s lambda instances (not destroyed), in creation order',
    tags: instanceTags,
    querystring: PageQuery,
    response: {
      200: paginated(
        'Lambda instances',
        Type.Object({ id: Type.String(), name: Type.String(), status: StatusView, running_app: Type.Boolean() }),
      ),
      ...authErrors(400),
    },
  },
  'GET /api/lambda-instances/count': {
    summary: 'How many lambda instances the user has (not destroyed)',
    tags: instanceTags,
    response: { 200: success('Number of Lambda Instances', Type.Array(Type.Object({ count: Type.Integer() }))), ...authErrors() },
  },
  'GET /api/lambda-instances/:id': {
    summary: 'A lambda instance\'s details',
    ...byIdTags,
    querystring: Type.Object({ filter: Type.Optional(Type.String({ enum: ['status', 'info'] })) }),
    response: { 200: success('Lambda instance details', Type.Array(Details)), ...authErrors(400, 404) },
  },
  'POST /api/lambda-instances/:id': {
    summary: 'Start or stop a lambda instance',
    description: 'Start from STOPPED or FAILED; stop from STARTED or FAILED (upstream §2.9).',
    ...byIdTags,
    body: Type.Object({ action: Type.String({ enum: ['start', 'stop'] }) }),
    response: { 202: accepted('Your request has been accepted'), ...commandErrors(404, 409) },
  },
  'DELETE /api/lambda-instances/:id': {
    summary: 'Destroy a lambda instance',
    description: 'Appends `InstanceDestroyRequested`; 409 when already destroyed.',
    ...byIdTags,
    response: {
      202: accepted('Your request to destroy the specified lambda instance has been accepted'),
      ...commandErrors(404, 409),
    },
  },
  'POST /api/lambda_instances': {
    summary: 'Register an instance record created elsewhere',
    tags: statusTags,
    response: { 202: accepted('Your request to create a new lambda instance has been accepted.', IdData), ...commandErrors(409) },
  },
  'POST /api/lambda_instances/:id': {
    summary: 'Report a lambda instance\'s status (service VM)',
    description: 'Accepts the owner\'s token or the instance\'s own token. 409 when the status is already the given one.',
    tags: statusTags,
    params: InstanceIdParams,
    body: StatusBody,
    response: { 202: accepted('Lambda instances status update accepted.', IdData), ...commandErrors(404, 409) },
  },
  'POST /api/lambda_instances/:id/status': {
    summary: 'Report a lambda instance\'s status (service VM; same as without /status)',
    tags: statusTags,
    params: InstanceIdParams,
    body: StatusBody,
    response: { 202: accepted('Lambda instances status update accepted.', IdData), ...commandErrors(404, 409) },
  },
  'DELETE /api/lambda_instances/:id': {
    summary: 'Destroy a lambda instance (status family)',
    description:
      'A registered record with no cluster is marked DESTROYED at once; an instance whose cluster this service built is destroyed as by DELETE /api/lambda-instances/{id}/ (DESTROYING, then DESTROYED once its resources are gone). 404 when missing or already destroyed.',
    tags: statusTags,
    params: InstanceIdParams,
    response: {
      202: accepted('Your request to destroy the specified lambda instance has been accepted.', IdData),
      ...commandErrors(404),
    },
  },
  'GET /api/lambda_instances': {
    summary: 'The user\'s instance records, destroyed included, raw',
    tags: statusTags,
    querystring: PageQuery,
    response: { 200: paginated('Lambda instances.', RawInstance), ...authErrors(400) },
  },
  'POST /api/apps': {
    summary: 'Upload an application (a jar) to Pithos',
    description: 'multipart/form-data: `file`, `type` (batch|streaming), `project_name`, `description`, `execution_environment_name`.',
    tags: appTags,
    body: Type.Object({
      file: Type.String({ format: 'binary' }),
      type: Type.String({ enum: ['batch', 'streaming'] }),
      project_name: Type.String(),
      description: Type.Optional(Type.String()),
      execution_environment_name: Type.Optional(Type.String()),
    }),
    consumes: ['multipart/form-data'],
    response: {
      202: accepted(
        'Your request to upload the specified application has been accepted',
        Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), links: Type.Object({ self: Type.String() }) })),
      ),
      ...commandErrors(408, 409, 502),
    },
  },
  'GET /api/apps': {
    summary: 'The user\'s applications',
    tags: appTags,
    querystring: PageQuery,
    response: { 200: paginated('Applications', AppItem), ...authErrors(400) },
  },
  'GET /api/apps/count': {
    summary: 'How many applications the user has',
    tags: appTags,
    response: { 200: success('Number of Applications', Type.Array(Type.Object({ count: Type.Integer() }))), ...authErrors() },
  },
  'GET /api/apps/:id': {
    summary: 'An application\'s details, with the instances it is deployed on',
    tags: appTags,
    params: AppIdParams,
    response: { 200: success('Application details', Type.Array(AppDetails)), ...authErrors(404) },
  },
  'DELETE /api/apps/:id': {
    summary: 'Delete an application',
    description: '409 while it runs on an instance.',
    tags: appTags,
    params: AppIdParams,
    response: { 202: accepted('Your request to delete the specified application has been accepted'), ...commandErrors(404, 409) },
  },
  'GET /api/apps/:id/list-deployed': {
    summary: 'The applications deployed on a lambda instance',
    description: 'The id in the path is the lambda instance\'s.',
    tags: appTags,
    params: InstanceIdParams,
    querystring: PageQuery,
    response: { 200: paginated('Applications', AppItem), ...authErrors(400, 404) },
  },
  'POST /api/apps/:id/deploy': onInstanceDocs('deploy', 'Copies the jar onto the instance\'s master.'),
  'POST /api/apps/:id/withdraw': onInstanceDocs('withdraw', 'Removes the jar from the instance.'),
  'POST /api/apps/:id/start': onInstanceDocs('start', 'One batch and one streaming job at a time per instance (upstream §2.19).'),
  'POST /api/apps/:id/stop': onInstanceDocs('stop', 'Appends `AppStopRequested`.'),
  'POST /api/lambda_applications': {
    summary: 'Register an application record created elsewhere',
    tags: statusAppTags,
    response: { 202: accepted('Your request to create the specified application has been accepted.', IdData), ...commandErrors(409) },
  },
  'POST /api/lambda_applications/:id/status': {
    summary: 'Report an application\'s status (service VM)',
    tags: statusAppTags,
    params: AppIdParams,
    body: AppStatusBody,
    response: { 202: accepted('Lambda application status update accepted.', IdData), ...commandErrors(404, 409) },
  },
  'DELETE /api/lambda_applications/:id': {
    summary: 'Remove an application record',
    tags: statusAppTags,
    params: AppIdParams,
    response: { 202: accepted('Your request to delete the specified application has been accepted.', IdData), ...commandErrors(404) },
  },
  'POST /api/lambda_applications/:id/increment_started': timesStarted('increment'),
  'POST /api/lambda_applications/:id/decrement_started': timesStarted('decrement'),
  'GET /api/lambda_applications': {
    summary: 'The user\'s application records, raw',
    tags: statusAppTags,
    querystring: PageQuery,
    response: { 200: paginated('Lambda Applications.', RawApp), ...authErrors(400) },
  },
  'GET /api/lambda_applications/count': {
    summary: 'The service\'s application counts, across owners (public)',
    tags: statusAppTags,
    authenticated: false,
    response: {
      200: success(
        'Lambda applications count.',
        Type.Array(Type.Object({ uploaded_applications: Type.String(), running_applications: Type.String() })),
      ),
      ...errors(405),
    },
  },
  'GET /api/users/count': {
    summary: 'How many users the service has (public)',
    tags: statusAppTags,
    authenticated: false,
    response: {
      202: success('Lambda Users count on ~okeanos infrastructure.', Type.Array(Type.Object({ count: Type.String() }))),
      ...errors(405),
    },
  },
  'GET /api/lambda_instances/count': {
    summary: 'The service\'s instance counts, across owners (public)',
    tags: statusTags,
    authenticated: false,
    response: {
      200: success(
        'Lambda instances count.',
        Type.Object({
          count: Type.String({ description: 'Not destroyed.' }),
          running_lambda_instances: Type.String({ description: 'STARTED.' }),
          created_lambda_instances: Type.String({ description: 'Every instance ever created.' }),
        }),
      ),
      ...errors(405),
    },
  },
}
