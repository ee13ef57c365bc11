import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { Transform, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { HttpError } from '../../platform/http/envelope.js'
import { exemptFromBodyTimeout } from '../../platform/http/timeouts.js'

// Receives a multipart upload: the form fields, and the file streamed to disk (never held in memory) while
// its size and checksum are taken, whatever order the parts come in.
//
// A body may stop short of its closing boundary in three ways, and each must end in an answer, with the partial
// file removed: the body ends (the parser's "Unexpected end of multipart data", which request.parts() passes off
// as a normal end of the parts, so it is caught on the parser itself), the client disconnects, or the client
// stops sending and keeps the connection open (the idle timeout). An upload takes minutes: it is let off the
// commands' body timeout, and bounded in all by the server's request timeout (src/platform/http/timeouts.ts).

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

export interface UploadOptions {
  /** How long the client may send nothing before the upload is abandoned (408). */
  idleTimeoutMs: number
}

export const uploadMessages = {
  interrupted: 'The upload was interrupted before the end of its body.',
  idle: (seconds: number) => `The upload sent nothing for ${seconds} s; it was abandoned. Send the whole body without pausing.`,
} as const

/** Calls `piped` with the parser @fastify/multipart pipes the request into, as it is piped: only the parser
 *  tells a body that ended before its closing boundary (its 'error') from a complete one (its 'finish'). */
function whenPiped(raw: IncomingMessage, piped: (parser: Writable) => void): () => void {
  const pipe = raw.pipe
  raw.pipe = function <T extends NodeJS.WritableStream>(this: IncomingMessage, destination: T, options?: { end?: boolean }): T {
    raw.pipe = pipe
    const result = pipe.call(this, destination, options) as T
    piped(destination as unknown as Writable)
    return result
  }
  return () => {
    if (raw.pipe !== pipe) raw.pipe = pipe
  }
}

export async function receiveUpload(request: FastifyRequest, dir: string, options: UploadOptions): Promise<ReceivedUpload> {
  exemptFromBodyTimeout(request)
  const raw = request.raw
  const fields: Record<string, string> = {}
  let file: ReceivedFile | undefined
  const written: string[] = []
  const discard = async () => {
    await Promise.all(written.map((path) => rm(path, { force: true })))
  }

  // Whatever gives up on the body (the parser, the client leaving, the idle timer) aborts this: the file being
  // written is closed and the wait for more parts ends, whether or not the parser ever says anything more.
  const abandon = new AbortController()
  const abandoned = new Promise<never>((_, reject) => {
    abandon.signal.addEventListener('abort', () => reject(abandon.signal.reason as Error), { once: true })
  })
  abandoned.catch(() => {})
  const giveUp = (error: Error) => {
    if (!abandon.signal.aborted) abandon.abort(error)
  }

  let idle: NodeJS.Timeout | undefined
  const armIdle = () => {
    clearTimeout(idle)
    idle = setTimeout(() => {
      // The whole body has come: what is left to do is ours (parsing, the disk), however long it takes.
      if (raw.complete) return
      // Paused by the pipe: waiting for the disk, not for the client.
      if (raw.readableFlowing === false) return armIdle()
      giveUp(new HttpError(408, uploadMessages.idle(Math.round(options.idleTimeoutMs / 100) / 10), { connection: 'close' }))
    }, options.idleTimeoutMs)
  }
  const onData = () => armIdle()
  let parsed: Promise<void> | undefined
  const restorePipe = whenPiped(raw, (parser) => {
    parser.on('error', giveUp)
    parsed = new Promise((resolve) => parser.once('finish', resolve))
    // Listening to the data only once it is piped, so that no chunk flows past the parser.
    raw.on('data', onData)
  })
  const onClose = () => {
    if (!raw.complete) giveUp(new HttpError(400, uploadMessages.interrupted))
  }
  raw.on('close', onClose)
  armIdle()

  const receive = (async () => {
    for await (const part of request.parts()) {
      if (abandon.signal.aborted) break
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value
        continue
      }
      if (part.fieldname !== 'file' || file) {
        part.file.resume() // only one file, named `file`, is taken
        continue
      }
      // Destroyed by @fastify/multipart when the body ended or the client left before the part was read; piping
      // it now would wait forever.
      if (part.file.destroyed) throw new HttpError(400, uploadMessages.interrupted)
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
      await pipeline(part.file, measure, createWriteStream(path, { mode: 0o600 }), { signal: abandon.signal })
      file = { filename: part.filename, path, size, sha256: hash.digest('hex'), head }
    }
  })()
  // Once given up, the parts may never end: nothing waits for them, but a file they still open is removed.
  const settled = receive.then(
    () => undefined,
    () => undefined,
  )

  try {
    await Promise.race([receive, abandoned])
    // The parts also end when the request closes, or when the parser fails on a body cut short (request.parts()
    // takes "Unexpected end of multipart data" for the end): complete only once the parser has finished.
    if (parsed) await Promise.race([parsed, abandoned])
    if (abandon.signal.aborted) throw abandon.signal.reason
  } catch (error) {
    giveUp(error as Error)
    void settled.then(discard)
    await discard()
    // The parser's error is the cause; what the cut-short file stream said after it is not.
    throw abandon.signal.reason
  } finally {
    clearTimeout(idle)
    raw.off('data', onData)
    raw.off('close', onClose)
    restorePipe()
  }
  return { fields, file, discard }
}
