import { api, ApiError, messageOf, type StatusView } from './api.js'
import { confirmStep } from './confirm.js'
import { alertBox, fill, formatTime, h, notice, say } from './dom.js'
import { watch } from './live.js'
import { buildProgress, statusBadge } from './status.js'

// One lambda instance: its status and build stages, live from its own status stream; start, stop and destroy,
// each confirmed first; its history (from the event log) and the applications deployed on it.

interface Details {
  info: { id: string; name: string; instance_info: Record<string, unknown> }
  status: StatusView
  applications: { id: string; name: string; started: boolean; type: string }[]
}

interface HistoryEntry {
  position: number
  time: string
  event: string
  actor: string
  actor_name: string | null
  status_before: { message: string } | null
  status_after: { message: string } | null
  failure_message: string
}

const shownInfo: [string, string][] = [
  ['project_name', 'Project'], ['master_name', 'Master name'], ['slaves', 'Number of slaves'],
  ['vcpus_master', 'Master CPUs'], ['ram_master', 'Master RAM (MB)'], ['disk_master', 'Master disk (GB)'],
  ['vcpus_slave', 'Slave CPUs'], ['ram_slave', 'Slave RAM (MB)'], ['disk_slave', 'Slave disk (GB)'],
  ['public_key_name', 'Public SSH keys'], ['kafka_input_topics', 'Kafka input topics'], ['kafka_output_topics', 'Kafka output topics'],
]

const text = (value: unknown) => (Array.isArray(value) ? value.join(', ') || 'none' : String(value ?? ''))

export function instanceView(id: string) {
  return (main: HTMLElement): () => void => {
    const title = h('h1', {}, 'Lambda instance')
    const statusLine = h('p', { class: 'status-line' })
    const progress = h('div')
    const problem = alertBox()
    const result = notice()
    const info = h('dl', { class: 'info' })
    const apps = h('div')
    const history = h('tbody')
    let name = ''

    const act = (label: string, question: () => string, run: () => Promise<unknown>) =>
      h('button', {
        type: 'button',
        class: label === 'Destroy' ? 'danger' : '',
        onclick: async () => {
          if (!(await confirmStep(question(), label))) return
          say(problem)
          result.textContent = ''
          try {
            result.textContent = messageOf((await run()) as never)
          } catch (error) {
            say(problem, ...(error instanceof ApiError ? error.details : [`${label} failed.`]))
          }
        },
      }, label)
    const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Instance actions' },
      act('Start', () => `Start the lambda instance “${name}”?`, () => api('POST', `/api/lambda-instances/${id}/`, { action: 'start' })),
      act('Stop', () => `Stop the lambda instance “${name}”? Its applications stop with it.`, () => api('POST', `/api/lambda-instances/${id}/`, { action: 'stop' })),
      act('Destroy', () => `Destroy the lambda instance “${name}”? Its VMs, network and public IP are deleted; this cannot be undone.`, () => api('DELETE', `/api/lambda-instances/${id}/`)),
    )

    fill(main,
      h('p', {}, h('a', { href: '#/instances' }, '← All lambda instances')),
      title, statusLine, problem, actions, result, progress,
      h('section', { 'aria-labelledby': 'info-title' }, h('h2', { id: 'info-title' }, 'Configuration'), info),
      h('section', { 'aria-labelledby': 'apps-title' }, h('h2', { id: 'apps-title' }, 'Applications deployed'), apps),
      h('section', { 'aria-labelledby': 'history-title' },
        h('h2', { id: 'history-title' }, 'History'),
        // Wider than a phone: it scrolls by itself (focusable, so that the keyboard scrolls it too).
        h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-labelledby': 'history-title' },
          h('table', { class: 'history' },
            h('thead', {}, h('tr', {}, ...['Time', 'Event', 'By', 'Status', 'Failure'].map((c) => h('th', { scope: 'col' }, c)))),
            history,
          ),
        ),
      ),
    )

    const showStatus = (status: StatusView) => {
      fill(statusLine, 'Status: ', statusBadge(status), ` — ${status.detail}`)
      fill(progress, buildProgress(status))
      // Nothing can be asked of a destroyed instance.
      actions.hidden = status.message === 'DESTROYED'
    }

    const loadDetails = async () => {
      const details = (await api<Details[]>('GET', `/api/lambda-instances/${id}/`)).data[0]!
      name = details.info.name
      title.textContent = name
      document.title = `${name} · Lambda on Demand`
      showStatus(details.status)
      fill(info, ...shownInfo.flatMap(([key, label]) => [h('dt', {}, label), h('dd', {}, text(details.info.instance_info[key]))]))
      fill(apps, details.applications.length === 0
        ? h('p', {}, 'No application is deployed on this instance.')
        : h('ul', {}, ...details.applications.map((app) =>
            h('li', {}, h('a', { href: `#/apps/${app.id}` }, app.name), ` (${app.type.toLowerCase()}, ${app.started ? 'running' : 'not running'})`))))
    }

    const loadHistory = async () => {
      const entries = (await api<HistoryEntry[]>('GET', `/api/lambda-instances/${id}/history/?limit=200`)).data
      fill(history, ...entries.map((e) => h('tr', {},
        h('td', {}, h('time', { datetime: e.time }, formatTime(e.time))),
        h('td', {}, e.event),
        h('td', {}, e.actor_name ?? e.actor),
        h('td', {}, e.status_after && e.status_after.message !== e.status_before?.message ? `${e.status_before?.message ?? '—'} → ${e.status_after.message}` : ''),
        h('td', {}, e.failure_message),
      )))
    }

    const load = async () => {
      try {
        await Promise.all([loadDetails(), loadHistory()])
      } catch (error) {
        say(problem, ...(error instanceof ApiError ? error.details : ['The instance could not be read.']))
      }
    }

    let timer: ReturnType<typeof setTimeout> | undefined
    const stop = watch(`/api/lambda-instances/${id}/events`, {
      onOpen: () => void load(),
      onRefused: () => void load(),
      onStatus: ({ status }) => {
        showStatus(status)
        // The rest (history, applications) follows the read models: read it once the changes settle.
        clearTimeout(timer)
        timer = setTimeout(() => void load(), 300)
      },
    })
    return () => {
      stop()
      clearTimeout(timer)
    }
  }
}
