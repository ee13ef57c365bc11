import { Type, type TSchema } from 'typebox'

// The pieces the OpenAPI document of every route is made of: the envelopes of docs/api.md "Conventions", ids,
// pagination and the status object. Documentation only: requests are validated by each route, replies are
// never reshaped by these schemas (see src/platform/http/openapi.ts).

/** What a route's documentation says, beside (never instead of) the schemas Fastify validates with. */
export interface RouteDocs {
  summary: string
  description?: string
  tags: string[]
  /** False for the public routes; every other route takes `Authorization: Token <token>`. */
  authenticated?: boolean
  params?: TSchema
  querystring?: TSchema
  body?: TSchema
  /** Media types of the body; JSON, urlencoded and multipart forms by default. */
  consumes?: string[]
  produces?: string[]
  response: Record<number, TSchema>
}

export const ErrorEnvelope = Type.Object(
  {
    errors: Type.Array(
      Type.Object({
        status: Type.Integer({ description: 'The HTTP status, repeated.' }),
        detail: Type.Union([Type.String(), Type.Array(Type.String())], {
          description: 'What went wrong; a list of "<field>: <message>" for an invalid create body.',
        }),
      }),
    ),
  },
  { description: 'Every error, whatever the route: `{"errors": [{"status", "detail"}]}`.' },
)

const errorMeanings: Record<number, string> = {
  400: 'Malformed request: invalid body, parameter, Idempotency-Key or LoD-Position.',
  401: 'Missing or invalid `Authorization: Token <token>`.',
  404: 'No such route, or no such instance for this owner (a malformed id is a missing one).',
  405: 'Method not allowed on this path (the `Allow` header lists the allowed ones).',
  408: 'The request took too long to arrive (a command body `LOD_BODY_TIMEOUT_SECONDS`, an upload `LOD_UPLOAD_TIMEOUT_SECONDS`, or an upload sent nothing for `LOD_UPLOAD_IDLE_TIMEOUT_SECONDS`); it was abandoned and the connection closed.',
  409: 'Refused in the current state (see the detail), or a concurrent change: retry.',
  413: 'Body too large.',
  415: 'Unsupported media type: send JSON, urlencoded or multipart forms.',
  422: 'Idempotency-Key already used for a different request.',
  429: 'Too many event streams of this owner open (`LOD_SSE_MAX_STREAMS_PER_OWNER`): close one first.',
  500: 'Internal error; the detail carries the request id.',
  502: '~okeanos answered with an error.',
  503: '~okeanos identity service unavailable, or the event log for a moment (a failover): retry after `Retry-After`.',
}

/** The error replies of a route, each with the error envelope. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    [...new Set([...statuses, 500])].map((status) => [status, { ...ErrorEnvelope, description: errorMeanings[status] ?? 'Error.' }]),
  )
}

/** The request headers of a GET answered from the read models (docs/api.md "Consistency"). */
export const ReadPositionHeaders = Type.Object({
  'LoD-Position': Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,15}$',
      description:
        "The `LoD-Position` of a command's reply: the answer includes that command's changes. Without it, the answer " +
        "includes every change the log held when the request arrived. A position beyond the log's head is a 400.",
    }),
  ),
})

/** What a GET answered from the read models may answer besides its own replies. */
export const readModelErrors = () => ({
  ...errors(400),
  503: {
    ...ErrorEnvelope,
    description:
      "~okeanos identity service unavailable, the event log for a moment (a failover), or this node's read models " +
      "did not reach the position asked for (or the log's head) within `LOD_READ_WAIT_MS`: try again after `Retry-After`.",
  },
})

/** The errors every authenticated route may answer, plus the route's own. */
export const authErrors = (...statuses: number[]) => errors(401, 405, 503, ...statuses)
/** ... and those of a command route (a body, an optional Idempotency-Key). */
export const commandErrors = (...statuses: number[]) => authErrors(400, 408, 413, 415, 422, ...statuses)

/** The `status` of every reply's envelope. */
export const ReplyStatus = Type.Object({ code: Type.Integer(), short_description: Type.String() })

export function successReply(description: string, data?: TSchema, extra: Record<string, TSchema> = {}) {
  return Type.Object(
    {
      status: ReplyStatus,
      ...(data && { data }),
      ...extra,
    },
    { description },
  )
}

/** The headers of a command's reply (docs/api.md "Consistency"). */
export const commandReplyHeaders = {
  'LoD-Position': Type.String({
    pattern: '^[0-9]+$',
    description:
      'Where the last event the command appended is in the event log (a replayed reply: the log\'s head). Send it back ' +
      'on a GET, to any node, to see the change. Absent when the command changed nothing.',
  }),
}

export const accepted = (description: string, data?: TSchema) => ({ ...successReply(description, data), headers: commandReplyHeaders })

/** The `data` of a create: the new id, and where to read what it made. */
export const CreatedData = Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }), links: Type.Object({ self: Type.String() }) }))

/** The `data` of a status-family command: the id it wrote to. */
export const IdData = Type.Array(Type.Object({ id: Type.String({ format: 'uuid' }) }))

/** The `data` of a count of the user's own. */
export const CountData = Type.Array(Type.Object({ count: Type.Integer() }))

/** The tag of the routes the service VMs call, of instances and applications alike. */
export const statusUpdatesTags = ['status updates (service VMs)']

export const Pagination = Type.Object(
  {
    count: Type.Integer(),
    next: Type.Union([Type.String(), Type.Null()]),
    previous: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'Present when `limit` was given.' },
)

/** A list reply: `data`, and `pagination` when a limit was given. */
export const paginated = (description: string, item: TSchema) =>
  successReply(description, Type.Array(item), { pagination: Type.Optional(Pagination) })

export const PageQuery = Type.Object({
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]+$', description: 'Page size, an integer ≥ 0; without it the whole list, unpaginated.' }),
  ),
  offset: Type.Optional(Type.String({ pattern: '^-?[0-9]+$', description: 'Items to skip (a bad value counts as 0).' })),
})

export const StatusView = Type.Object({
  code: Type.String(),
  message: Type.String({ description: 'The status name, e.g. STARTED.' }),
  detail: Type.String(),
  failure_message: Type.Optional(Type.String({ description: 'Present when the last status change reported a failure.' })),
})

/** Free-form object (e.g. instance_info as the user sent it). */
export const AnyObject = Type.Object({}, { additionalProperties: true })
