// A minimal Server-Sent Events client over fetch, as a browser's EventSource would read the stream, but able to
// send the Authorization header.

export interface ServerSentEvent {
  event: string
  id: string | undefined
  data: string
}

export interface EventStream {
  status: number
  headers: Headers
  /** The next event (comments are collected in `comments`); undefined once the server closed the stream. */
  next(): Promise<ServerSentEvent | undefined>
  comments: string[]
  close(): void
}

export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  const comments: string[] = []
  let buffer = ''
  return {
    status: response.status,
    headers: response.headers,
    comments,
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: ServerSentEvent = { event: 'message', id: undefined, data: '' }
          let isEvent = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('event: ')) ((event.event = line.slice(7)), (isEvent = true))
            else if (line.startsWith('id: ')) event.id = line.slice(4)
            else if (line.startsWith('data: ')) ((event.data += line.slice(6)), (isEvent = true))
          }
          if (isEvent) return event
          continue
        }
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
        if (done) return undefined
        buffer += value
      }
    },
    close: () => controller.abort(),
  }
}
