import type { BuildStep } from '../build-steps.js'
import type { StatusView } from './api.js'
import { h } from './dom.js'

// A status is said in words (its name, and its detail for a screen reader's user and a tooltip); the colour only
// repeats it. The build's stages come from the server, built into the bundle (../bundle.ts): the status sets
// exist once, in the instances slice.

declare const LOD_BUILD_STEPS: readonly BuildStep[]
export const buildSteps = LOD_BUILD_STEPS

const tone = (message: string) =>
  /FAILED$/.test(message) ? 'failed' : message === 'STARTED' || message === 'UPLOADED' ? 'ok' : message === 'STOPPED' || message === 'DESTROYED' ? 'idle' : 'busy'

export function statusBadge(status: StatusView): HTMLElement {
  return h('span', { class: `status status-${tone(status.message)}`, title: status.detail }, status.message)
}

/** Where `code` is in the build: the stage reached (or failed), and whether it failed; none for a status outside
 *  it (STOPPED, DESTROYING…). */
export function buildPosition(code: string): { index: number; failed: boolean } | undefined {
  const index = buildSteps.findIndex((step) => step.reached.code === code || step.failed?.code === code)
  return index < 0 ? undefined : { index, failed: buildSteps[index]!.failed?.code === code }
}

/** The build as a progress bar and its stages as a list, each marked in words. */
export function buildProgress(status: StatusView): HTMLElement {
  const at = buildPosition(status.code)
  const done = at ? (at.failed ? at.index : at.index + 1) : 0
  const total = buildSteps.length
  const stages = buildSteps.map((step, i) => {
    const state = !at ? '' : i < done ? 'done' : at.failed && i === at.index ? 'failed' : i === done ? 'next' : 'to do'
    const name = state === 'failed' ? step.failed!.name : step.reached.name
    return h('li', { class: `stage stage-${state.replace(/ /g, '-')}` }, h('span', { class: 'stage-name' }, name), ' ', h('span', { class: 'stage-state' }, `(${state})`))
  })
  return h(
    'section',
    { class: 'build', 'aria-labelledby': 'build-title' },
    h('h2', { id: 'build-title' }, 'Install stages'),
    ...(at
      ? [
          h('progress', { max: total, value: done, 'aria-label': 'Install progress', 'aria-valuetext': `${done} of ${total} stages done` }),
          h('ol', { class: 'stages' }, ...stages),
        ]
      : [h('p', {}, `The instance is ${status.message}: it is not being built.`)]),
    status.failure_message ? h('p', { class: 'failure', role: 'alert' }, `Failed: ${status.failure_message}`) : null,
  )
}
