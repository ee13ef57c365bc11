import type { InstanceSpec } from './events.js'

// Validation of the create body, with the original's messages (docs/original.md "Creating an instance"). Bodies may come from JSON or
// from forms, so integers may arrive as strings; every invalid field gives its own error.

export interface VmChoices {
  vcpus: number[]
  ram: number[]
  disk: number[]
}

/** What the original offers when the flavors cannot be read. */
export const defaultVmChoices: VmChoices = {
  vcpus: [2, 4, 8],
  ram: [2048, 4096, 6144, 8192],
  disk: [10, 20, 40, 60, 80, 100],
}

/** The sizes a lambda instance may use out of what the flavors allow: at least 2 vCPUs, 2 GB RAM, 10 GB disk. */
export function lambdaVmChoices(allowed: VmChoices): VmChoices {
  const at = (values: number[], min: number) => [...new Set(values.filter((v) => v >= min))].sort((a, b) => a - b)
  return { vcpus: at(allowed.vcpus, 2), ram: at(allowed.ram, 2048), disk: at(allowed.disk, 10) }
}

/** The sizes a lambda instance may take out of the flavors' sizes; the original's defaults when ~okeanos cannot
 *  say what its flavors are. */
export async function lambdaVmChoicesOf(flavorSizes: () => Promise<VmChoices>): Promise<VmChoices> {
  try {
    return lambdaVmChoices(await flavorSizes())
  } catch {
    return defaultVmChoices
  }
}

export interface FieldError {
  field: string
  message: string
}

export type SpecValidation = { ok: true; spec: InstanceSpec } | { ok: false; errors: FieldError[] }

const required = 'This field is required.'
const blank = 'This field may not be blank.'
const notString = 'Not a valid string.'
const notInteger = 'A valid integer is required.'
const ipChoices = ['master']

/** Python's list repr, as the original's messages show choices. */
const pyList = (values: Array<number | string>) =>
  `[${values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}]`

type Check<T> = (value: unknown) => { value: T } | { error: string }

const text: Check<string> = (value) => {
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value)
  if (typeof value !== 'string') return { error: notString }
  if (value.trim() === '') return { error: blank }
  return { value }
}

const integer: Check<number> = (value) => {
  if (typeof value === 'number' && Number.isInteger(value)) return { value }
  // DRF accepts "4" and "4.0" from forms.
  if (typeof value === 'string' && /^\s*-?\d+(\.0*)?\s*$/.test(value)) {
    const parsed = Number.parseInt(value, 10)
    if (Number.isSafeInteger(parsed)) return { value: parsed }
  }
  return { error: notInteger }
}

const oneOf =
  (choices: number[], message: string): Check<number> =>
  (value) => {
    const parsed = integer(value)
    if ('error' in parsed) return parsed
    return choices.includes(parsed.value) ? parsed : { error: `${message}, available choices ${pyList(choices)}.` }
  }

const textList: Check<string[]> = (value) => {
  // A form sends one repeated field as a single string.
  if (typeof value === 'string') value = [value]
  if (!Array.isArray(value)) return { error: `Expected a list of items but got type "${value === null ? 'null' : typeof value}".` }
  if (!value.every((item) => typeof item === 'string')) return { error: notString }
  return { value: value as string[] }
}

const ipAllocation: Check<string> = (value) =>
  typeof value === 'string' && ipChoices.includes(value)
    ? { value }
    : { error: `Wrong choice for ip_allocation, available choices ${pyList(ipChoices)}.` }

export function validateInstanceSpec(body: unknown, choices: VmChoices): SpecValidation {
  const input: Record<string, unknown> = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const fields: { [K in keyof InstanceSpec]: { check: Check<InstanceSpec[K]>; default?: () => InstanceSpec[K] } } = {
    project_name: { check: text },
    instance_name: { check: text },
    master_name: { check: text },
    vcpus_master: { check: oneOf(choices.vcpus, 'Wrong Number of master vcpus') },
    vcpus_slave: { check: oneOf(choices.vcpus, 'Wrong Number of slave vcpus') },
    ram_master: { check: oneOf(choices.ram, 'Wrong Amount of master ram') },
    ram_slave: { check: oneOf(choices.ram, 'Wrong Amount of slave ram') },
    disk_master: { check: oneOf(choices.disk, 'Wrong Size of master disk') },
    disk_slave: { check: oneOf(choices.disk, 'Wrong Size of slave disk') },
    slaves: { check: integer },
    ip_allocation: { check: ipAllocation, default: () => 'master' },
    network_request: { check: integer, default: () => 1 },
    public_key_name: { check: textList, default: () => [] },
    kafka_input_topics: { check: textList, default: () => ['input'] },
    kafka_output_topics: { check: textList, default: () => ['stream-output', 'batch-output'] },
  }
  const errors: FieldError[] = []
  const spec: Record<string, unknown> = {}
  for (const [field, rule] of Object.entries(fields) as Array<[string, { check: Check<unknown>; default?: () => unknown }]>) {
    const value = input[field]
    if (value === undefined) {
      if (rule.default) spec[field] = rule.default()
      else errors.push({ field, message: required })
      continue
    }
    if (value === null) {
      errors.push({ field, message: 'This field may not be null.' })
      continue
    }
    const checked = rule.check(value)
    if ('error' in checked) errors.push({ field, message: checked.error })
    else spec[field] = checked.value
  }
  for (const field of Object.keys(input))
    if (!Object.hasOwn(fields, field)) errors.push({ field, message: 'This field is not allowed.' })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, spec: spec as InstanceSpec }
}
