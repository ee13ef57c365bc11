import { api, ApiError, messageOf, type InstanceItem, type StatusView } from './api.js'
import { confirmStep } from './confirm.js'
import { alertBox, field, fill, h, notice, say, select } from './dom.js'
import { statusBadge } from './status.js'

// One application: its details, the instances it is deployed on with start, stop and withdraw on each, deploy on
// another instance, delete. The commands are carried out by jobs on the master: after one, the details are read
// again every second for a while, and drawn again only when they changed (the focus stays where it is). A refusal
// (the job-slot rule, a running application) shows the API's message.

interface AppDetails {
  id: string
  name: string
  path: string
  type: string
  description: string
  execution_environment_name: string
  status: StatusView
  lambda_instances: { id: string; name: string; started: boolean; status: StatusView }[]
}

export function applicationView(id: string) {
  return (main: HTMLElement): () => void => {
    const title = h('h1', {}, 'Application')
    const problem = alertBox()
    const result = notice()
    const info = h('dl', { class: 'info' })
    const deployments = h('div')
    const instance = select('lambda_instance_id', [])
    const deployForm = h('form', { class: 'inline' }, field('Lambda instance', instance).row, h('button', { type: 'submit' }, 'Deploy'))
    let name = ''
    let shown = ''
    let polls = 0
    let timer: ReturnType<typeof setTimeout> | undefined

    const run = async (what: string, call: () => Promise<unknown>, reload = true) => {
      say(problem)
      result.textContent = ''
      try {
        result.textContent = messageOf((await call()) as never)
        if (!reload) return
        polls = 15
        void load()
      } catch (error) {
        say(problem, ...(error instanceof ApiError ? error.details : [`${what} failed.`]))
      }
    }
    const onInstance = (action: string, instanceId: string) => () =>
      run(action, () => api('POST', `/api/apps/${id}/${action}/`, { lambda_instance_id: instanceId }))

    const remove = h('button', {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        if (!(await confirmStep(`Delete the application “${name}”? Its jar is removed from Pithos.`, 'Delete'))) return
        // Deleted, it is gone: nothing to read again or to act on.
        await run('Delete', () => api('DELETE', `/api/apps/${id}/`), false)
        if (result.textContent) for (const section of main.querySelectorAll('section')) section.hidden = true
      },
    }, 'Delete application')

    fill(main,
      h('p', {}, h('a', { href: '#/apps' }, '← All applications')),
      title, problem, result, info,
      h('section', { 'aria-labelledby': 'deployed-title' }, h('h2', { id: 'deployed-title' }, 'Deployed on'), deployments),
      h('section', { 'aria-labelledby': 'deploy-title' }, h('h2', { id: 'deploy-title' }, 'Deploy on a lambda instance'), deployForm),
      h('section', { 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete'), remove),
    )
    deployForm.addEventListener('submit', (event) => {
      event.preventDefault()
      if (instance.value) void onInstance('deploy', instance.value)()
    })

    const draw = (app: AppDetails) => {
      name = app.name
      title.textContent = app.name
      document.title = `${app.name} · Lambda on Demand`
      fill(info,
        h('dt', {}, 'Status'), h('dd', {}, statusBadge(app.status), app.status.failure_message ? ` ${app.status.failure_message}` : ''),
        h('dt', {}, 'Type'), h('dd', {}, app.type.toLowerCase()),
        h('dt', {}, 'Description'), h('dd', {}, app.description || '—'),
        h('dt', {}, 'Execution environment'), h('dd', {}, app.execution_environment_name || '—'),
        h('dt', {}, 'Pithos container'), h('dd', {}, app.path),
      )
      fill(deployments, app.lambda_instances.length === 0
        ? h('p', {}, 'Not deployed on any lambda instance.')
        : h('table', {},
            h('thead', {}, h('tr', {}, ...['Lambda instance', 'Instance status', 'Application', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, ...app.lambda_instances.map((on) => h('tr', {},
              h('td', {}, h('a', { href: `#/instances/${on.id}` }, on.name)),
              h('td', {}, statusBadge(on.status)),
              h('td', {}, on.started ? 'running' : 'not running'),
              h('td', {}, h('div', { class: 'actions' },
                h('button', { type: 'button', 'aria-label': `Start on ${on.name}`, onclick: onInstance('start', on.id) }, 'Start'),
                h('button', { type: 'button', 'aria-label': `Stop on ${on.name}`, onclick: onInstance('stop', on.id) }, 'Stop'),
                h('button', { type: 'button', class: 'secondary', 'aria-label': `Withdraw from ${on.name}`, onclick: onInstance('withdraw', on.id) }, 'Withdraw'),
              )),
            ))),
          ))
    }

    const load = async () => {
      clearTimeout(timer)
      try {
        const app = (await api<AppDetails[]>('GET', `/api/apps/${id}/`)).data[0]!
        const now = JSON.stringify(app)
        if (now !== shown) draw(app)
        shown = now
      } catch (error) {
        // Gone after a delete: say so, with the way back.
        say(problem, ...(error instanceof ApiError ? error.details : ['The application could not be read.']))
        polls = 0
      }
      if (polls-- > 0) timer = setTimeout(() => void load(), 1000)
    }
    void load()
    void api<InstanceItem[]>('GET', '/api/lambda-instances/?limit=100&offset=0')
      .then((list) => fill(instance, ...list.data.map((i) => h('option', { value: i.id }, `${i.name} (${i.status.message})`))))
      .catch(() => say(problem, 'Your lambda instances could not be read.'))
    return () => {
      polls = 0
      clearTimeout(timer)
    }
  }
}
