import { h } from './dom.js'

// Pages of a list (limit/offset as the API takes them), in the URL so that a page can be linked and reloaded.

export const pageSize = 10

export function pageOf(params: URLSearchParams): number {
  const page = Number(params.get('page'))
  return Number.isSafeInteger(page) && page > 0 ? page : 1
}

export const pageQuery = (page: number) => `limit=${pageSize}&offset=${(page - 1) * pageSize}`

export function pager(base: string, page: number, count: number, what: string): HTMLElement {
  const pages = Math.max(1, Math.ceil(count / pageSize))
  const link = (to: number, text: string, enabled: boolean) =>
    enabled ? h('a', { href: `${base}?page=${to}`, class: 'button secondary' }, text) : h('span', { class: 'button secondary disabled', 'aria-disabled': 'true' }, text)
  return h('nav', { class: 'pager', 'aria-label': `Pages of ${what}` },
    link(page - 1, 'Previous page', page > 1),
    h('span', {}, `Page ${Math.min(page, pages)} of ${pages}`),
    link(page + 1, 'Next page', page < pages),
  )
}
