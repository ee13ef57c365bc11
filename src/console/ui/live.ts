import { authHeaders, type StatusView } from './api.js'

// Server-Sent Events read with fetch() and a stream reader: EventSource cannot send the Authorization header,
// and the token must not go into a URL. Reconnects after the server's `retry:` delay, with Last-Event-ID, so
// nothing committed meanwhile is missed.

export interface StatusEvent {
  id: string
  status: StatusView
  event: string
  time: string
}

export interface Watch {
  /** Once the stream is open (and again after each reconnection): the moment to read what it did not send. */
  onOpen?: () => void
  onStatus: (event: StatusEvent) => void
  /** The service refused the stream (its status): nothing will come, the page reads what it can without. */
  onRefused?: (status: number) => void
  /** Whether the stream is connected, for the page to say so. */
  onState?: (live: boolean) => void
}

/** Watches `path` until the returned function is called. */
export function watch(path: string, { onOpen, onStatus, onState, onRefused }: Watch): () => void {
  const controller = new AbortController()
  let lastId: string | undefined
  let retryMs = 3000
  // An instance's stream ends after DESTROYED: there is nothing to come back for.
  let lastStatus = ''

  const dispatch = (block: string) => {
    let event = 'message'
    let data = ''
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data += line.slice(6)
      else if (line.startsWith('id: ')) lastId = line.slice(4)
      else if (line.startsWith('retry: ')) retryMs = Number(line.slice(7)) || retryMs
    }
    if (event !== 'status' || !data) return
    const status = JSON.parse(data) as StatusEvent
    lastStatus = status.status.message
    onStatus(status)
  }

  const connect = async (): Promise<boolean> => {
    const response = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastId && { 'last-event-id': lastId }) },
      signal: controller.signal,
    })
    // A refusal (401, 404, 429) is not retried: the page says what it can without the stream.
    if (!response.ok || !response.body) {
      onRefused?.(response.status)
      return false
    }
    onState?.(true)
    onOpen?.()
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return lastStatus !== 'DESTROYED'
      buffer += value
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        dispatch(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
      }
    }
  }

  void (async () => {
    while (!controller.signal.aborted) {
      const again = await connect().catch(() => !controller.signal.aborted)
      onState?.(false)
      if (!again || controller.signal.aborted) return
      await new Promise((resolve) => setTimeout(resolve, retryMs))
    }
  })()
  return () => controller.abort()
}
