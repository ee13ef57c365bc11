import { randomBytes } from 'node:crypto'
import type { SecretStore } from '../../secrets/store.js'

// A webhook's signing secrets, in the secret store: one per generation, under `<webhook id>/<generation>`. A
// rotation appends the next generation's number; the secret itself is made and kept after that commit, and read
// back by the reply that answers it once (and by its idempotent replays, which thus never reveal a later one).

const subject = (webhookId: string, generation: number) => `${webhookId}/${generation}`

/** A Standard Webhooks secret: `whsec_` and 32 random bytes, base64. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`

/** The secret of a generation, made now if none is kept yet (the first writer wins: a replayed reply, or two
 *  replies racing, answer the same one). */
export function signingSecret(secrets: SecretStore, webhookId: string, generation: number): Promise<string> {
  return secrets.put(subject(webhookId, generation), 'webhook-secret', newSecret())
}

/** What signs a delivery now: the current generation's secret, and the previous one's during its overlap. Never
 *  made here: a secret nobody was told is of no use to the receiver. */
export async function secretsSigning(
  secrets: SecretStore,
  webhook: { id: string; generation: number; previousValidUntil: string | null },
  now: number,
): Promise<string[]> {
  const current = await secrets.get(subject(webhook.id, webhook.generation), 'webhook-secret')
  const overlap = webhook.previousValidUntil !== null && Date.parse(webhook.previousValidUntil) > now
  const previous = overlap ? await secrets.get(subject(webhook.id, webhook.generation - 1), 'webhook-secret') : undefined
  return [current, previous].filter((secret): secret is string => secret !== undefined)
}
