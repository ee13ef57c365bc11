import { api, ApiError, type StatusView } from './api.js'
import { projects } from './choices.js'
import { alertBox, field, fill, h, notice, say, select } from './dom.js'
import { pageOf, pageQuery, pager } from './paging.js'
import { statusBadge } from './status.js'
import { upload } from './upload.js'

// The owner's applications: upload a jar with a progress bar, and the list. An upload's status (UPLOADING, then
// UPLOADED or FAILED, as the job storing it on Pithos ends) is read again every few seconds while one is unsettled.

interface AppItem {
  id: string
  name: string
  type: string
  status: StatusView
  deployed: boolean
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export function applicationsView(main: HTMLElement, params: URLSearchParams): () => void {
  const page = pageOf(params)
  const problem = alertBox()
  const listProblem = alertBox()
  const result = notice()
  const body = h('tbody')
  const count = h('p', { class: 'count' })
  const paging = h('div')
  const file = h('input', { type: 'file', name: 'file', accept: '.jar,application/java-archive', required: true })
  const type = select('type', ['batch', 'streaming'])
  const project = select('project_name', [])
  const description = h('input', { name: 'description', autocomplete: 'off' })
  const environment = h('input', { name: 'execution_environment_name', autocomplete: 'off' })
  const progress = h('progress', { max: 100, value: 0, 'aria-label': 'Upload progress' })
  const progressText = h('span', { class: 'progress-text' })
  const progressRow = h('p', { class: 'upload-progress', hidden: true }, progress, ' ', progressText)
  const submit = h('button', { type: 'submit' }, 'Upload')
  const form = h('form', { class: 'card upload', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload an application'),
    field('Jar file', file).row, field('Type', type).row, field('Project', project).row,
    field('Description', description).row, field('Execution environment name', environment).row,
    problem, progressRow, result,
    h('div', { class: 'actions' }, submit),
  )
  fill(main,
    h('h1', {}, 'Applications'),
    form,
    h('section', { 'aria-labelledby': 'apps-list-title' },
      h('h2', { id: 'apps-list-title' }, 'Your applications'),
      listProblem, count,
      h('table', {},
        h('thead', {}, h('tr', {}, ...['Name', 'Type', 'Status', 'Deployed'].map((c) => h('th', { scope: 'col' }, c)))),
        body,
      ),
      paging,
    ),
  )

  void projects().then((list) => fill(project, ...list.map((p) => h('option', { value: p.name, selected: p.name === 'lambda.grnet.gr' }, p.name))))
    .catch((error: unknown) => say(problem, ...(error instanceof ApiError ? error.details : ['Your projects could not be read.'])))

  let timer: ReturnType<typeof setTimeout> | undefined
  let alive = true
  const load = async () => {
    clearTimeout(timer)
    try {
      const [list, total] = await Promise.all([
        api<AppItem[]>('GET', `/api/apps/?${pageQuery(page)}`),
        api<[{ count: number }]>('GET', '/api/apps/count/'),
      ])
      if (!alive) return
      fill(body, ...list.data.map((app) => h('tr', {},
        h('td', {}, h('a', { href: `#/apps/${app.id}` }, app.name)),
        h('td', {}, app.type.toLowerCase()),
        h('td', {}, statusBadge(app.status)),
        h('td', {}, app.deployed ? 'yes' : 'no'),
      )))
      if (list.data.length === 0) fill(body, h('tr', {}, h('td', { colspan: 4 }, 'No applications yet.')))
      const n = total.data[0].count
      count.textContent = `${n} application${n === 1 ? '' : 's'}`
      fill(paging, pager('#/apps', page, n, 'applications'))
      say(listProblem)
      if (list.data.some((app) => app.status.message === 'UPLOADING')) timer = setTimeout(() => void load(), 1000)
    } catch (error) {
      say(listProblem, ...(error instanceof ApiError ? error.details : ['The list could not be read.']))
    }
  }
  void load()

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    say(problem)
    result.textContent = ''
    if (!file.files?.length) {
      say(problem, 'Choose a jar file to upload.')
      file.focus()
      return
    }
    submit.disabled = true
    progress.value = 0
    progressRow.hidden = false
    try {
      const sent = await upload(new FormData(form), (loaded, size) => {
        progress.value = Math.round((loaded / size) * 100)
        progressText.textContent = `${progress.value}% (${mb(loaded)} of ${mb(size)})`
      })
      result.textContent = sent.message
      form.reset()
      void load()
    } catch (error) {
      progressRow.hidden = true
      say(problem, ...(error as ApiError).details)
    } finally {
      submit.disabled = false
    }
  })
  return () => {
    alive = false
    clearTimeout(timer)
  }
}
