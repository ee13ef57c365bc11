/**
 * Decides how each new server build ends: ACTIVE (default), ERROR, or stuck
 * in BUILD forever (to exercise callers' wait deadlines). Rules are consumed
 * in the order they were added; a rule with a name pattern applies only to
 * servers whose name matches.
 */
import type { BuildFate } from './state.js'

export interface BuildRuleSpec {
  outcome: Exclude<BuildFate, 'active'>
  /** How many builds this applies to (default 1; 0 or negative = until cleared). */
  times?: number
  /** Regex (source) on the server name. */
  namePattern?: string
}

interface BuildRule {
  id: number
  outcome: Exclude<BuildFate, 'active'>
  remaining: number
  namePattern: RegExp | undefined
}

export class BuildControl {
  private rules: BuildRule[] = []
  private nextId = 1

  add(spec: BuildRuleSpec): { id: number } {
    const times = spec.times ?? 1
    const rule: BuildRule = {
      id: this.nextId++,
      outcome: spec.outcome,
      remaining: times > 0 ? times : Infinity,
      namePattern: spec.namePattern !== undefined ? new RegExp(spec.namePattern) : undefined,
    }
    this.rules.push(rule)
    return { id: rule.id }
  }

  fateFor(serverName: string): BuildFate {
    const i = this.rules.findIndex((r) => !r.namePattern || r.namePattern.test(serverName))
    if (i < 0) return 'active'
    const rule = this.rules[i]!
    if (--rule.remaining <= 0) this.rules.splice(i, 1)
    return rule.outcome
  }

  list(): { id: number; outcome: string; remaining: number | null; namePattern: string | null }[] {
    return this.rules.map((r) => ({
      id: r.id,
      outcome: r.outcome,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      namePattern: r.namePattern?.source ?? null,
    }))
  }

  clear(): void {
    this.rules = []
  }
}
