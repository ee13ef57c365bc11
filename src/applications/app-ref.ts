import type { AppRef } from '../instances/index.js'
import type { ApplicationState } from './decider.js'

/** The application a deployment command names, as the instance's decider needs it; null when the owner has none. */
export function appRefOf(id: string, state: ApplicationState, owner: string): AppRef | null {
  if (!state.exists || state.deleted || state.owner !== owner) return null
  if (state.kind === 'usage-record') return { kind: 'usage-record', id }
  return { kind: 'jar', id, name: state.name, type: state.type, container: state.container, executionEnvironmentName: state.executionEnvironmentName }
}
