import './console.css'
import { api, onUnauthorized, session } from './api.js'
import { fill, h } from './dom.js'
import { signInView } from './sign-in.js'
import { instancesView } from './instances.js'
import { createView } from './create-form.js'
import { instanceView } from './instance-detail.js'
import { applicationsView } from './applications.js'
import { applicationView } from './application-detail.js'

// The web console: a client of the REST API (docs/api.md "Web console"). Routes are in the URL's hash
// (#/instances, #/instances/<id>, #/apps, #/apps/<id>), so the service serves one page and the browser's
// back button works. A view fills <main> and returns what stops it (its live streams, its timers).

export type View = (main: HTMLElement, params: URLSearchParams) => (() => void) | void

const uuid = '([0-9a-fA-F-]{36})'
const routes: [RegExp, (match: RegExpMatchArray) => View][] = [
  [/^\/instances\/new$/, () => createView],
  [new RegExp(`^/instances/${uuid}$`), (m) => instanceView(m[1]!)],
  [/^\/apps$/, () => applicationsView],
  [new RegExp(`^/apps/${uuid}$`), (m) => applicationView(m[1]!)],
  [/^(\/instances)?\/?$/, () => instancesView],
]

const root = document.getElementById('app')!
let stopView: (() => void) | void
let userName = ''

function navLink(href: string, text: string, current: boolean) {
  return h('a', { href, ...(current && { 'aria-current': 'page' }) }, text)
}

function shell(path: string): HTMLElement {
  const main = h('main', { id: 'main', tabindex: -1 })
  const signOut = h('button', { type: 'button', class: 'secondary', onclick: () => signOutNow() }, 'Sign out')
  fill(
    root,
    // The hash is the route: the skip link moves the focus instead of following its href.
    h('a', { href: '#main', class: 'skip', onclick: (event) => (event.preventDefault(), main.focus()) }, 'Skip to content'),
    h('header', {},
      h('p', { class: 'brand' }, 'Lambda on Demand'),
      h('nav', { 'aria-label': 'Sections' },
        navLink('#/instances', 'Lambda instances', !path.startsWith('/apps')),
        navLink('#/apps', 'Applications', path.startsWith('/apps')),
      ),
      h('p', { class: 'user' }, 'Signed in as ', h('strong', {}, userName), ' ', signOut),
    ),
    main,
  )
  return main
}

function route(moved = false): void {
  stopView?.()
  stopView = undefined
  if (!session.token()) {
    stopView = signInView(root, (name) => {
      userName = name
      route()
    })
    return
  }
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?')
  const found = routes.find(([pattern]) => pattern.test(path))
  const main = shell(path)
  if (!found) {
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page. '), h('a', { href: '#/instances' }, 'Back to the lambda instances'))
    return
  }
  stopView = found[1](path.match(found[0])!)(main, new URLSearchParams(query))
  document.title = `${main.querySelector('h1')?.textContent ?? 'Console'} · Lambda on Demand`
  // After a link, a screen reader starts reading at the new page rather than at the link that is gone.
  if (moved) main.focus()
}

function signOutNow(message?: string): void {
  session.forget()
  userName = ''
  if (message) sessionStorage.setItem('lod-signed-out', message)
  route()
}

onUnauthorized.push((error) => signOutNow(error.details.join(' ')))
window.addEventListener('hashchange', () => route(true))

// A token kept from before a reload is checked again, for the user's name (and in case it expired).
async function start(): Promise<void> {
  if (session.token()) {
    try {
      userName = (await api<{ name: string }>('GET', '/api/authenticate/')).data.name
    } catch {
      // A refused token signs out (onUnauthorized); the service out of reach shows the sign-in again too.
      session.forget()
    }
  }
  route()
}
void start()
