import type { Test } from 'tap'
import type { Decider } from '../../src/platform/decider.js'
import { Rejection, type RejectionKind } from '../../src/platform/rejection.js'

// given(events).when(command).then(events) | .rejects(kind, detail), over a pure decider (Emmett's style).


export function deciderSpec<C, E, S>(decider: Decider<C, E, S>) {
  return {
    given: (history: E[]) => ({
      /** The state the history leaves, for the rules that are plain functions of it. */
      state: () => history.reduce(decider.evolve, decider.initialState()),
      when: (command: C) => {
        const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()))
        return {
          then(t: Test, expected: E[]) {
            t.same(run(), expected)
          },
          rejects(t: Test, kind: RejectionKind, detail: string) {
            try {
              const events = run()
              t.fail(`expected a ${kind} rejection, got ${JSON.stringify(events)}`)
            } catch (error) {
              t.type(error, Rejection)
              t.match(error, { kind, detail })
            }
          },
        }
      },
    }),
  }
}
