// A few lines instead of a framework: elements made with their attributes and children, text always as text
// nodes (a name from the API is never parsed as HTML).

export type Child = Node | string | number | null | undefined | false
type Listener = (event: Event) => void
export type Props = Record<string, string | number | boolean | Listener | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(key.slice(2), value)
    else element.setAttribute(key, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replaces what `parent` holds. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

let ids = 0
/** An id for tying a label or a description to its control. */
export const newId = (prefix: string) => `${prefix}-${++ids}`

/** A labelled control: the label visible above it, its error (if any) announced with it. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): { row: HTMLElement; error: HTMLElement } {
  control.id ||= newId('f')
  const error = h('p', { class: 'field-error', id: newId('e'), hidden: true })
  const hintNode = hint ? h('p', { class: 'hint', id: newId('h') }, hint) : null
  control.setAttribute('aria-describedby', [hintNode?.id, error.id].filter(Boolean).join(' '))
  return { row: h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintNode, error), error }
}

export function showError(error: HTMLElement, control: Element | null, message: string | undefined): void {
  error.textContent = message ?? ''
  error.hidden = !message
  if (message) control?.setAttribute('aria-invalid', 'true')
  else control?.removeAttribute('aria-invalid')
}

export function select(name: string, options: readonly (string | number)[], selected?: string | number): HTMLSelectElement {
  return h('select', { name }, ...options.map((o) => h('option', { value: String(o), selected: String(o) === String(selected) }, String(o))))
}

/** A polite live region: what it says is read out without moving the focus. */
export const notice = () => h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' })

/** An error the user should hear at once. */
export const alertBox = () => h('div', { class: 'alert', role: 'alert', hidden: true })

export function say(box: HTMLElement, ...lines: string[]): void {
  fill(box, ...lines.map((line) => h('p', {}, line)))
  box.hidden = lines.length === 0
}

export const formatTime = (iso: string) => new Date(iso).toLocaleString()
