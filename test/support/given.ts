import { randomUUID } from 'node:crypto'
import type { EventLog } from '../../src/platform/eventlog/port.js'

/** The "given" of a test: appends `events` to `stream` as if they had happened, one append each, whatever the
 *  stream holds already. Name the stream with its slice's own function (instanceStream, applicationStream). */
export async function given(log: Pick<EventLog, 'append'>, stream: string, ...events: Array<{ type: string; data: unknown }>): Promise<void> {
  for (const event of events) await log.append(stream, [{ id: randomUUID(), type: event.type, data: event.data, metadata: { actor: 'test' } }], 'any')
}
