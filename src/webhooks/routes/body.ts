import { webhookEventTypes } from '../events.js'
import { parseDestination } from '../destination.js'

// The create body, checked field by field: every problem is reported at once, as "<field>: <message>".

export interface WebhookSpec {
  url: URL
  events: string[]
  description: string
}

const known = new Set<string>([...webhookEventTypes, '*'])

export function parseWebhookBody(body: unknown): { ok: true; spec: WebhookSpec } | { ok: false; problems: string[] } {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const problems: string[] = []
  let url: URL | undefined
  if (typeof fields.url !== 'string' || fields.url.trim() === '') problems.push('url: this field is required.')
  else {
    const parsed = parseDestination(fields.url.trim())
    if ('problem' in parsed) problems.push(parsed.problem)
    else url = parsed.url
  }
  const raw = fields.events ?? '*'
  const listed = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [raw]
  const events = [...new Set(listed.map((e) => (typeof e === 'string' ? e.trim() : e)))]
  if (events.length === 0 || events.some((e) => typeof e !== 'string' || !known.has(e)))
    problems.push(`events: each must be one of ${[...known].join(', ')}.`)
  const description = fields.description ?? ''
  if (typeof description !== 'string' || description.length > 1000) problems.push('description: must be a text of at most 1000 characters.')
  if (problems.length > 0 || !url) return { ok: false, problems }
  return { ok: true, spec: { url, events: events as string[], description: description as string } }
}
