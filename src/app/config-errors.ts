// Says what is wrong with each bad configuration variable in the operator's words — "PORT must be an integer from
// 0 to 65535, got 'abc'" — from the variable's own schema, instead of the validator's "env/PORT must be integer".

interface JsonSchema {
  type?: string
  minimum?: number
  maximum?: number
  minLength?: number
  pattern?: string
  anyOf?: JsonSchema[]
  const?: unknown
}

interface ValidationError {
  instancePath?: string
}

/** What the known patterns mean. */
const patterns: Record<string, string> = {
  '^https?://[^\\s]+$': 'an http:// or https:// URL',
  '^[A-Za-z0-9+/]{43}=$': '32 bytes in base64 (44 characters ending in "=")',
  '^(postgres(ql)?://\\S+|\\w+=\\S*( +\\w+=\\S*)*)$': 'a postgres:// or postgresql:// URL, or key=value settings',
  '^\\S{1,200}$': 'a name of 1 to 200 characters without spaces',
}

export function expectation(schema: JsonSchema): string {
  if (schema.anyOf?.every((member) => member.const !== undefined))
    return `one of ${schema.anyOf.map((member) => String(member.const)).join(', ')}`
  switch (schema.type) {
    case 'integer':
      if (schema.minimum !== undefined && schema.maximum !== undefined) return `an integer from ${schema.minimum} to ${schema.maximum}`
      if (schema.minimum !== undefined) return `an integer of at least ${schema.minimum}`
      return 'an integer'
    case 'boolean':
      return 'true or false'
    case 'string':
      if (schema.pattern !== undefined) return patterns[schema.pattern] ?? `text matching ${schema.pattern}`
      return schema.minLength ? 'a non-empty text' : 'a text'
    default:
      return 'a valid value'
  }
}

/** Secrets are never repeated back, not even in an error message (a database URL may carry a password). */
const secret = /SECRET|KEY|TOKEN|PASSWORD|DATABASE_URL/

function shown(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing'
  return secret.test(name) ? `a value of ${value.length} characters` : `'${value}'`
}

/** One line per bad variable, in the schema's order. */
export function configProblems(
  properties: Readonly<Record<string, JsonSchema>>,
  errors: readonly ValidationError[],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const bad = new Set(errors.map((error) => (error.instancePath ?? '').replace(/^\//, '').split('/')[0]!).filter(Boolean))
  return Object.keys(properties)
    .filter((name) => bad.has(name))
    .map((name) => `${name} must be ${expectation(properties[name]!)}, got ${shown(name, env[name])}`)
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (see README "Configuration"):\n${problems.map((p) => `  ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}
