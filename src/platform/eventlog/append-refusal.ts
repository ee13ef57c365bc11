import type { EventRules } from './event-rules.js'
import { EventSchemaError, type NewEvent } from './port.js'

/** Why an adapter refuses an append before it joins a group commit, or undefined when it may join one. A refused
 *  append writes nothing (not its idempotency record either) and its neighbours in the commit never see it. */
export function appendRefusal(stream: string, events: readonly NewEvent[], rules: EventRules | undefined, closed: boolean): Error | undefined {
  if (closed) return new Error('event log is closed')
  if (events.length === 0) return new Error('append needs at least one event')
  if (rules)
    for (const event of events) {
      const problem = rules.refusal(event)
      if (problem !== undefined) return new EventSchemaError(stream, event.type, problem)
    }
  return undefined
}
