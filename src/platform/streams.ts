// Stream names, `<category>-<id>`: made and parsed here and nowhere else. Each slice names its category.

export function streamName(category: string, id: string): string {
  return `${category}-${id}`
}

export interface StreamName {
  category: string
  id: string
}

export function parseStream(stream: string): StreamName {
  const dash = stream.indexOf('-')
  return dash === -1 ? { category: stream, id: '' } : { category: stream.slice(0, dash), id: stream.slice(dash + 1) }
}

/** The id of the aggregate a stream belongs to. */
export function streamId(stream: string): string {
  return parseStream(stream).id
}

/** Whether `stream` is of `category`. */
export function inCategory(stream: string, category: string): boolean {
  return stream.length > category.length && stream.startsWith(category) && stream[category.length] === '-'
}
