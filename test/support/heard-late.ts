import type { EventLog } from '../../src/platform/eventlog/port.js'

/** The log as a node that hears of each commit `delayMs` after it happened sees it: read models that trail the
 *  log, as they do on a node other than the one that committed. */
export function heardLate(log: EventLog, delayMs: number): EventLog {
  return {
    append: (...args) => log.append(...args),
    readStream: (stream) => log.readStream(stream),
    streamVersion: (stream) => log.streamVersion(stream),
    readAll: (from, limit) => log.readAll(from, limit),
    subscribe: (from, handler) => log.subscribe(from, (events) => void setTimeout(() => handler(events), delayMs)),
    headPosition: () => log.headPosition(),
    findIdempotency: (scope, key) => log.findIdempotency(scope, key),
    close: () => log.close(),
  }
}
