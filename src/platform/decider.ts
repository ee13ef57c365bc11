/** The shape of every aggregate: decide what happens, evolve the state with what happened. */
export interface Decider<C, E, S> {
  decide(command: C, state: S): E[]
  evolve(state: S, event: E): S
  initialState(): S
}
