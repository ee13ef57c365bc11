import { Compile, type Validator } from 'typebox/compile'
import type { TSchema } from 'typebox'
import type { NewEvent } from './port.js'
import type { EventVersions } from './upcast.js'

// What makes an event decodable: a known type, a version this code reads, data matching the type's current
// schema once upcast, metadata naming an actor. `lod verify` reports what breaks these rules in the log; the log
// refuses to append it, so that no request can leave it there for good. Apart from the adapter, so that what only
// reads the log (a rebuild's workers, replay) does not load the schemas' compiler.

/** An event as `lod verify` sees it: `data` in its type's current shape (read lazily: upcasting may throw). */
export interface CheckedEvent {
  type: string
  /** The version of its type it was (or is to be) written with. */
  storedVersion: number
  readonly data: unknown
  readonly metadata: unknown
}

export interface EventRules {
  /** Everything wrong with an event, in the words `lod verify` prints; empty when it decodes. */
  problems(event: CheckedEvent): string[]
  /** Why an event may not be appended, or undefined when it may. */
  refusal(event: NewEvent): string | undefined
}

export function eventRules(schemas: Readonly<Record<string, TSchema>>, versions: EventVersions): EventRules {
  // Compiled on first use of each type: once per type for the process, and nothing for the types never seen.
  const validators = new Map<string, Validator | null>()
  const validator = (type: string): Validator | null => {
    let compiled = validators.get(type)
    if (compiled === undefined) {
      compiled = Object.hasOwn(schemas, type) ? Compile(schemas[type]!) : null
      validators.set(type, compiled)
    }
    return compiled
  }

  const problems = (event: CheckedEvent): string[] => {
    const check = validator(event.type)
    if (!check) return ['unknown event type']
    const current = versions.current(event.type)
    if (event.storedVersion > current || event.storedVersion < 1 || !Number.isInteger(event.storedVersion))
      return [`stored as version ${event.storedVersion}, this code reads 1 to ${current}`]
    const found: string[] = []
    const data = event.data
    if (!check.Check(data)) {
      const first = check.Errors(data)[0]
      found.push(`data does not match the schema${first ? ` (${first.instancePath || '/'} ${first.message})` : ''}`)
    }
    if (typeof (event.metadata as { actor?: unknown } | null | undefined)?.actor !== 'string') found.push('metadata has no actor')
    return found
  }

  return {
    problems,
    refusal(event) {
      const current = versions.current(event.type)
      const storedVersion = event.typeVersion ?? current
      let data = event.data
      try {
        // An older version is checked in the shape it will be read in, as `lod verify` will check it.
        if (storedVersion < current && storedVersion >= 1) data = versions.upcast(event.type, storedVersion, data)
      } catch (error) {
        return (error as Error).message
      }
      const found = problems({ type: event.type, storedVersion, data, metadata: event.metadata })
      return found.length > 0 ? found.join('; ') : undefined
    },
  }
}
