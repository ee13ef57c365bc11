import { api, ApiError, type InstanceItem } from './api.js'
import { alertBox, fill, h, say } from './dom.js'
import { watch } from './live.js'
import { pageOf, pageQuery, pager } from './paging.js'
import { statusBadge } from './status.js'

// The owner's lambda instances, a page at a time, kept live by the owner-wide status stream: a status changes
// in its row; an instance the page does not show yet (created elsewhere, or destroyed) reads the page again.

export function instancesView(main: HTMLElement, params: URLSearchParams): () => void {
  const page = pageOf(params)
  const problem = alertBox()
  const liveState = h('p', { class: 'live', role: 'status' }, 'Connecting…')
  const count = h('p', { class: 'count' })
  const body = h('tbody')
  const paging = h('div')
  const rows = new Map<string, HTMLTableRowElement>()
  fill(main,
    h('div', { class: 'title' }, h('h1', {}, 'Lambda instances'), h('a', { href: '#/instances/new', class: 'button' }, 'Create a lambda instance')),
    liveState, problem, count,
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Your lambda instances'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Application running'))),
      body,
    ),
    paging,
  )

  const row = (instance: InstanceItem) => {
    const tr = h('tr', { 'data-id': instance.id },
      h('td', {}, h('a', { href: `#/instances/${instance.id}` }, instance.name)),
      h('td', { class: 'status-cell' }, statusBadge(instance.status)),
      h('td', {}, instance.running_app ? 'yes' : 'no'),
    )
    rows.set(instance.id, tr)
    return tr
  }

  let loading: Promise<void> | undefined
  let again = false
  const load = async (): Promise<void> => {
    // Changes that come while a page is read read it once more, after.
    if (loading) return void (again = true)
    loading = (async () => {
      try {
        const [list, total] = await Promise.all([
          api<InstanceItem[]>('GET', `/api/lambda-instances/?${pageQuery(page)}`),
          api<[{ count: number }]>('GET', '/api/lambda-instances/count/'),
        ])
        rows.clear()
        fill(body, ...list.data.map(row))
        if (list.data.length === 0) fill(body, h('tr', {}, h('td', { colspan: 3 }, page > 1 ? 'No instances on this page.' : 'No lambda instances yet.')))
        const n = total.data[0].count
        count.textContent = `${n} lambda instance${n === 1 ? '' : 's'}`
        fill(paging, pager('#/instances', page, n, 'lambda instances'))
        say(problem)
      } catch (error) {
        say(problem, ...(error instanceof ApiError ? error.details : ['The list could not be read.']))
      }
    })()
    await loading
    loading = undefined
    if (again) {
      again = false
      await load()
    }
  }

  let loaded = false
  const stop = watch('/api/lambda-instances/events', {
    // The list is read once the stream is open, so that no change falls between the two.
    onOpen: () => void load().then(() => (loaded = true)),
    onRefused: () => void load().then(() => (loaded = true)),
    onState: (live) => (liveState.textContent = live ? 'Live: statuses update as they change.' : 'Not live: reconnecting…'),
    onStatus: ({ id, status }) => {
      const tr = rows.get(id)
      if (tr && status.message !== 'DESTROYED') fill(tr.querySelector('.status-cell')!, statusBadge(status))
      else if (loaded) void load()
    },
  })
  // Without the stream (refused, or the service gone), the list is still shown.
  const fallback = setTimeout(() => !loaded && void load(), 1500)
  return () => {
    stop()
    clearTimeout(fallback)
  }
}
