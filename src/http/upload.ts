import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'

// Receives a multipart upload: the form fields, and the file streamed to disk (never held in memory) while
// its size and checksum are taken, whatever order the parts come in.

export interface ReceivedFile {
  filename: string
  path: string
  size: number
  sha256: string
  /** The first bytes, to tell a jar (a zip archive) from anything else. */
  head: Buffer
}

export interface ReceivedUpload {
  fields: Record<string, string>
  file: ReceivedFile | undefined
  /** Removes the received file, if it was not moved away. */
  discard(): Promise<void>
}

export async function receiveUpload(request: FastifyRequest, dir: string): Promise<ReceivedUpload> {
  const fields: Record<string, string> = {}
  let file: ReceivedFile | undefined
  const written: string[] = []
  const discard = async () => {
    await Promise.all(written.map((path) => rm(path, { force: true })))
  }
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value
        continue
      }
      if (part.fieldname !== 'file' || file) {
        part.file.resume() // only one file, named `file`, is taken
        continue
      }
      const path = join(dir, `${randomUUID()}.part`)
      written.push(path)
      const hash = createHash('sha256')
      let size = 0
      let head = Buffer.alloc(0)
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk)
          if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)])
          size += chunk.length
          done(null, chunk)
        },
      })
      await pipeline(part.file, measure, createWriteStream(path))
      file = { filename: part.filename, path, size, sha256: hash.digest('hex'), head }
    }
  } catch (error) {
    await discard()
    throw error
  }
  return { fields, file, discard }
}
