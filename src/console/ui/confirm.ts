import { h } from './dom.js'

// A confirmation step for what cannot be taken back (destroy, delete) or interrupts work (stop): a modal
// <dialog>, which keeps the keyboard's focus inside it, closes on Escape and returns it where it was.

export function confirmStep(question: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-question' },
      h('form', { method: 'dialog' },
        h('p', { id: 'confirm-question' }, question),
        h('div', { class: 'actions' },
          h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          h('button', { value: 'confirm', class: 'danger' }, action),
        ),
      ),
    )
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm')
      dialog.remove()
    })
    document.body.append(dialog)
    dialog.showModal()
  })
}
