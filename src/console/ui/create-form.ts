import { api, ApiError } from './api.js'
import { choices } from './choices.js'
import { alertBox, field, fill, h, newId, say, select, showError } from './dom.js'

// Create a lambda instance: the choices from ~okeanos (sizes, projects, keys), and the API's per-field errors
// ("<field>: <message>") shown beside their fields. The API validates; the form only offers what it allows.

const labels: Record<string, string> = {
  instance_name: 'Instance name',
  master_name: 'Master name',
  project_name: 'Project',
  slaves: 'Number of slaves',
  vcpus_master: 'Master CPUs',
  ram_master: 'Master RAM (MB)',
  disk_master: 'Master disk (GB)',
  vcpus_slave: 'Slave CPUs',
  ram_slave: 'Slave RAM (MB)',
  disk_slave: 'Slave disk (GB)',
  kafka_input_topics: 'Kafka input topics',
  kafka_output_topics: 'Kafka output topics',
}

const topics = (text: string) => text.split(',').map((t) => t.trim()).filter(Boolean)

export function createView(main: HTMLElement): () => void {
  const problem = alertBox()
  fill(main, h('h1', {}, 'Create a lambda instance'), h('p', { role: 'status' }, 'Reading your ~okeanos choices…'))
  let alive = true

  void choices().then(({ vm, projects, keys }) => {
    if (!alive) return
    const controls: Record<string, HTMLInputElement | HTMLSelectElement> = {
      instance_name: h('input', { name: 'instance_name', required: true, autocomplete: 'off' }),
      master_name: h('input', { name: 'master_name', required: true, autocomplete: 'off' }),
      project_name: select('project_name', projects.map((p) => p.name), projects.find((p) => p.name === 'lambda.grnet.gr')?.name),
      slaves: h('input', { name: 'slaves', type: 'number', min: 0, step: 1, value: 1, required: true }),
      vcpus_master: select('vcpus_master', vm.vcpus, vm.vcpus[1]),
      ram_master: select('ram_master', vm.ram, vm.ram[1]),
      disk_master: select('disk_master', vm.disk, vm.disk[0]),
      vcpus_slave: select('vcpus_slave', vm.vcpus, vm.vcpus[1]),
      ram_slave: select('ram_slave', vm.ram, vm.ram[1]),
      disk_slave: select('disk_slave', vm.disk, vm.disk[0]),
      kafka_input_topics: h('input', { name: 'kafka_input_topics', value: 'input' }),
      kafka_output_topics: h('input', { name: 'kafka_output_topics', value: 'stream-output, batch-output' }),
    }
    const errors = new Map<string, HTMLElement>()
    const rows = Object.fromEntries(
      Object.entries(controls).map(([name, control]) => {
        const hint = name.startsWith('kafka') ? 'Separated by commas.' : undefined
        const { row, error } = field(labels[name]!, control, hint)
        errors.set(name, error)
        return [name, row]
      }),
    )
    const keyBoxes = keys.map((key) => h('input', { type: 'checkbox', name: 'public_key_name', value: key.name, id: newId('key') }))
    const keyError = h('p', { class: 'field-error', hidden: true })
    errors.set('public_key_name', keyError)
    const submit = h('button', { type: 'submit' }, 'Create')
    const form = h('form', { class: 'card create', novalidate: true },
      problem,
      h('fieldset', {}, h('legend', {}, 'Cluster'), rows.instance_name, rows.master_name, rows.project_name, rows.slaves),
      h('fieldset', { class: 'columns' }, h('legend', {}, 'Master VM'), rows.vcpus_master, rows.ram_master, rows.disk_master),
      h('fieldset', { class: 'columns' }, h('legend', {}, 'Each slave VM'), rows.vcpus_slave, rows.ram_slave, rows.disk_slave),
      h('fieldset', {}, h('legend', {}, 'Public SSH keys to install'),
        keys.length === 0 ? h('p', {}, 'You have no SSH keys on ~okeanos.') : null,
        ...keyBoxes.map((box, i) => h('div', { class: 'check' }, box, h('label', { for: box.id }, keys[i]!.name))),
        keyError,
      ),
      h('fieldset', {}, h('legend', {}, 'Kafka'), rows.kafka_input_topics, rows.kafka_output_topics),
      h('div', { class: 'actions' }, submit, h('a', { href: '#/instances', class: 'button secondary' }, 'Cancel')),
    )
    fill(main, h('h1', {}, 'Create a lambda instance'), form)

    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      for (const [name, error] of errors) showError(error, controls[name] ?? null, undefined)
      say(problem)
      const value = (name: string) => controls[name]!.value
      const body: Record<string, unknown> = Object.fromEntries(
        Object.keys(controls).filter((name) => !name.startsWith('kafka')).map((name) => [name, value(name)]),
      )
      body.kafka_input_topics = topics(value('kafka_input_topics'))
      body.kafka_output_topics = topics(value('kafka_output_topics'))
      body.public_key_name = keyBoxes.filter((box) => box.checked).map((box) => box.value)
      submit.disabled = true
      try {
        const reply = await api<[{ id: string }]>('POST', '/api/lambda-instance/', body)
        location.hash = `#/instances/${reply.data[0].id}`
      } catch (error) {
        const details = error instanceof ApiError ? error.details : ['The instance could not be created.']
        const general: string[] = []
        let first: Element | undefined
        for (const detail of details) {
          const [name, ...rest] = detail.split(': ')
          const box = errors.get(name!)
          if (!box || rest.length === 0) {
            general.push(detail)
            continue
          }
          showError(box, controls[name!] ?? null, rest.join(': '))
          first ??= controls[name!] ?? keyBoxes[0]
        }
        if (general.length > 0) say(problem, ...general)
        else if (first) say(problem, 'Some fields need another value: see beside them.')
        ;((first ?? problem) as HTMLElement).focus?.()
      } finally {
        submit.disabled = false
      }
    })
  }).catch((error: unknown) => {
    if (!alive) return
    fill(main, h('h1', {}, 'Create a lambda instance'), problem)
    say(problem, ...(error instanceof ApiError ? error.details : ['The choices could not be read from ~okeanos.']))
  })
  return () => {
    alive = false
  }
}
