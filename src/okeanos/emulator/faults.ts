/**
 * Synnefo faults (Synnefo's fault format) and the emulator's fault injection.
 *
 * Route handlers throw `Fault`; the app's error handler renders it as
 * `{"<faultName>": {"code", "message", "details"}}`. Tests can also make the
 * emulator answer with a fault on the next N calls that match a method and a
 * path regex (before or after the real handler ran, or by dropping the
 * connection), or with a seeded random 5xx on any call ("chaos").
 */
import { seededRandom } from './state.js'

export class Fault extends Error {
  constructor(
    readonly code: number,
    readonly faultName: string,
    message: string,
    readonly details = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  body(): Record<string, { code: number; message: string; details: string }> {
    return { [this.faultName]: { code: this.code, message: this.message, details: this.details } }
  }
}

export const badRequest = (message: string, details = '') => new Fault(400, 'badRequest', message, details)
export const unauthorized = (message: string, details = '') => new Fault(401, 'unauthorized', message, details)
export const forbidden = (message: string, details = '') => new Fault(403, 'forbidden', message, details)
export const itemNotFound = (message: string, details = '') => new Fault(404, 'itemNotFound', message, details)
export const notAllowed = (allow: string[]) => new Fault(405, 'notAllowed', 'Method not allowed', '', { allow: allow.join(', ') })
export const conflict = (message: string, details = '') => new Fault(409, 'conflict', message, details)
export const buildInProgress = (message: string, details = '') => new Fault(409, 'buildInProgress', message, details)
export const overLimit = (message: string, details = '') => new Fault(413, 'overLimit', message, details)
export const badMediaType = (message: string, details = '') => new Fault(415, 'badMediaType', message, details)
export const internalServerError = (message = 'Unexpected error', details = '') => new Fault(500, 'internalServerError', message, details)
export const serviceUnavailable = (message: string, details = '') => new Fault(503, 'serviceUnavailable', message, details)

/** Synnefo's fault class for each status, and a plausible default message. */
const DEFAULTS: Record<number, [string, string]> = {
  400: ['badRequest', 'Malformed request'],
  401: ['unauthorized', 'Invalid token'],
  403: ['forbidden', 'Forbidden'],
  404: ['itemNotFound', 'Not found'],
  405: ['notAllowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  411: ['lengthRequired', 'Length required'],
  413: ['overLimit', 'Resource Limit Exceeded for your account.'],
  415: ['badMediaType', 'Unsupported media type'],
  421: ['networkInUse', 'Network in use'],
  500: ['internalServerError', 'Unexpected error'],
  501: ['notImplemented', 'Not implemented'],
  503: ['serviceUnavailable', 'No available backends'],
}

export function faultFor(status: number, faultName?: string, message?: string, details?: string): Fault {
  const [name, msg] = DEFAULTS[status] ?? ['fault', 'Error']
  return new Fault(status, faultName ?? name, message ?? msg, details ?? '')
}

/** What a test asks for (admin API body or Emulator.injectFault argument). */
export interface FaultSpec {
  /** HTTP method to match (any if omitted). */
  method?: string
  /** Regex (source) tested against the request path, e.g. "^/compute/v2.0/servers$". Any if omitted. */
  path?: string
  /** Status to answer with (default 503). */
  status?: number
  faultName?: string
  message?: string
  details?: string
  /** How many matching calls get the fault (default 1; 0 or negative = every call until cleared). */
  times?: number
  /** Run the real handler first, then replace its answer (a "lost response": the side effect happened). */
  after?: boolean
  /** Destroy the connection instead of answering (a connection error for the client). */
  drop?: boolean
  /** Wait this long before answering (before the fault or the real handler), e.g. to trigger client timeouts. */
  delayMs?: number
  /** With delayMs only: add latency but still run the real handler. */
  delayOnly?: boolean
}

export interface FaultRule extends Required<Pick<FaultSpec, 'status' | 'after' | 'drop' | 'delayMs' | 'delayOnly'>> {
  id: number
  method: string | undefined
  path: RegExp | undefined
  faultName: string | undefined
  message: string | undefined
  details: string | undefined
  /** Remaining uses; Infinity for "until cleared". */
  remaining: number
}

export interface ChaosSettings {
  /** Probability in [0, 1] that any Synnefo call fails. */
  rate: number
  status: number
  message?: string
  seed: number
}

export class FaultInjector {
  private rules: FaultRule[] = []
  private nextId = 1
  private chaos: (ChaosSettings & { roll: () => number }) | undefined

  add(spec: FaultSpec): FaultRule {
    const times = spec.times ?? 1
    const rule: FaultRule = {
      id: this.nextId++,
      method: spec.method?.toUpperCase(),
      path: spec.path !== undefined ? new RegExp(spec.path) : undefined,
      status: spec.status ?? 503,
      faultName: spec.faultName,
      message: spec.message,
      details: spec.details,
      after: spec.after ?? false,
      drop: spec.drop ?? false,
      delayMs: spec.delayMs ?? 0,
      delayOnly: spec.delayOnly ?? false,
      remaining: times > 0 ? times : Infinity,
    }
    this.rules.push(rule)
    return rule
  }

  list(): FaultRule[] {
    return [...this.rules]
  }

  clear(): void {
    this.rules = []
    this.chaos = undefined
  }

  setChaos(settings: Partial<ChaosSettings> & { rate: number }): void {
    if (settings.rate <= 0) {
      this.chaos = undefined
      return
    }
    const seed = settings.seed ?? 42
    const chaos: ChaosSettings & { roll: () => number } = {
      rate: Math.min(1, settings.rate),
      status: settings.status ?? 503,
      seed,
      roll: seededRandom(seed),
    }
    if (settings.message !== undefined) chaos.message = settings.message
    this.chaos = chaos
  }

  getChaos(): ChaosSettings | undefined {
    if (!this.chaos) return undefined
    const { roll: _roll, ...rest } = this.chaos
    return rest
  }

  /** The first rule matching this call, consuming one use of it. */
  take(method: string, path: string): FaultRule | undefined {
    const i = this.rules.findIndex(
      (r) => (r.method === undefined || r.method === method.toUpperCase()) && (r.path === undefined || r.path.test(path)),
    )
    if (i < 0) return undefined
    const rule = this.rules[i]!
    rule.remaining -= 1
    if (rule.remaining <= 0) this.rules.splice(i, 1)
    return rule
  }

  /** A chaos fault for this call, if the dice say so. */
  roll(): Fault | undefined {
    if (!this.chaos || this.chaos.roll() >= this.chaos.rate) return undefined
    return faultFor(this.chaos.status, undefined, this.chaos.message)
  }
}

export function ruleFault(rule: FaultRule): Fault {
  return faultFor(rule.status, rule.faultName, rule.message, rule.details)
}
