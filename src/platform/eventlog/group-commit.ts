import type { EventRules } from './event-rules.js'
import { EventSchemaError, type AppendOptions, type AppendResult, type ExpectedVersion, type NewEvent } from './port.js'

// Joining a group commit, as both adapters do it: the appends waiting for the next commit, and what is refused
// before it may wait there.

/** An append accepted for the next group commit, settled once that commit is over. */
export interface PendingAppend {
  stream: string
  events: NewEvent[]
  expected: ExpectedVersion
  options: AppendOptions | undefined
  resolve: (result: AppendResult) => void
  reject: (error: unknown) => void
}

/** Why an append may not join a group commit, or undefined when it may. A refused append writes nothing (not its
 *  idempotency record either) and its neighbours in the commit never see it. */
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
