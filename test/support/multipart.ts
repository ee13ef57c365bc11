// A multipart/form-data body, as curl -F sends it.

export interface FilePart {
  filename: string
  content: Buffer
  contentType?: string
}

export function multipart(fields: Record<string, string | FilePart>, boundary = 'lod-test-boundary') {
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`))
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.contentType ?? 'application/java-archive'}\r\n\r\n`,
        ),
        value.content,
        Buffer.from('\r\n'),
      )
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** A tiny but real jar: a zip archive's local-file header first. */
export function jar(size = 64): Buffer {
  const body = Buffer.alloc(Math.max(size, 4), 7)
  body.write('PK\x03\x04', 0, 'latin1')
  return body
}
