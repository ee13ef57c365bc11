import { api, ApiError, session } from './api.js'
import { alertBox, field, fill, h, say } from './dom.js'

// Sign in with the ~okeanos token: checked by GET /api/authenticate/, kept for this tab only. A refused token
// shows the API's own message.

export function signInView(root: HTMLElement, signedIn: (name: string) => void): () => void {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' })
  const { row } = field('~okeanos token', token, 'Your ~okeanos API token (Dashboard → API access). It is kept in this tab only.')
  const problem = alertBox()
  const submit = h('button', { type: 'submit' }, 'Sign in')
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in to Lambda on Demand'),
    row, problem, submit,
  )
  const left = sessionStorage.getItem('lod-signed-out')
  sessionStorage.removeItem('lod-signed-out')
  if (left) say(problem, left)

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    submit.disabled = true
    say(problem)
    const value = token.value.trim()
    try {
      const reply = await api<{ name: string }>('GET', '/api/authenticate/', undefined, value)
      session.keep(value)
      signedIn(reply.data.name)
    } catch (error) {
      say(problem, ...(error instanceof ApiError ? error.details : ['Sign-in failed.']))
      token.focus()
    } finally {
      submit.disabled = false
    }
  })
  fill(root, h('main', { id: 'main' }, form))
  token.focus()
  return () => {}
}
