import type { CommandHandler } from '../platform/command-handler.js'
import type { EventLog } from '../platform/eventlog/port.js'
import type { InstanceEvent } from './events.js'
import type { InstanceCommand, InstanceState } from './decider.js'
import type { VmChoices } from './spec.js'
import type { InstanceQueries } from '../../projections/instances/queries.js'

// What the instances slice's routes need from the composition root: commands go to the handler, queries to
// the read model, never the other way round.

/** What running an instance command needs (the applications slice deploys through it too). */
export interface InstanceCommandServices {
  log: EventLog
  instances: CommandHandler<InstanceCommand, InstanceEvent, InstanceState>
  /** Keeps the owner's latest ~okeanos token for the jobs that act on ~okeanos for them. */
  rememberOwnerToken(subjectId: string, token: string): Promise<void>
}

export interface InstanceServices extends InstanceCommandServices {
  instanceQueries: InstanceQueries
  /** The sizes a lambda instance of this user may take (lambdaVmChoicesOf). */
  vmChoices(token: string): Promise<VmChoices>
}
