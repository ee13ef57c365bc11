/**
 * One ~okeanos call with a streamed body, over node:http(s) rather than fetch: we need an
 * inactivity timeout (a 200 MB jar takes longer than any sensible whole-call timeout, but a stalled
 * transfer must still fail) and a request body that flows with backpressure, never buffered whole.
 *
 * Resolves once the response headers are in: with the body as a Readable on success, or rejects with
 * the same OkeanosError the buffered calls give (the fault body of a non-success answer is small and
 * read in full). An answer that comes before the upload is finished (a 413 on the declared length)
 * stops the upload. Failures after the response started surface as errors on the body stream.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable, Transform, pipeline } from 'node:stream'
import { OkeanosError, faultError, transportError } from './errors.js'

/** What a streamed body can be read from: a Node stream or any (async) iterable of byte chunks. */
export type ByteSource = Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export interface StreamOptions {
  headers?: Record<string, string> | undefined
  /** Streamed as the request body (chunked unless a content-length header is given). */
  body?: ByteSource | undefined
  /** Success statuses (default 2xx). */
  expect?: number[] | undefined
  /** Inactivity timeout: no byte in either direction for this long fails the call. */
  timeoutMs?: number | undefined
}

export interface StreamResponse {
  status: number
  headers: Headers
  body: Readable
}

/** Fault bodies are JSON of a few hundred bytes; never read more than this of one. */
const MAX_FAULT_BODY = 64 * 1024

export function streamOnce(method: 'GET' | 'PUT', url: string, opts: StreamOptions & { timeoutMs: number }): Promise<StreamResponse> {
  const label = `${method} ${url.split('?')[0]}`
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<StreamResponse>((resolve, reject) => {
    let settled = false
    let response: IncomingMessage | undefined
    const source = opts.body === undefined ? undefined : opts.body instanceof Readable ? opts.body : Readable.from(opts.body)
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      source?.destroy()
      req.destroy()
      reject(err)
    }
    const req = send(target, { method, headers: { accept: '*/*', ...opts.headers } }, (res) => {
      response = res
      const status = res.statusCode ?? 0
      const ok = opts.expect ? opts.expect.includes(status) : status >= 200 && status < 300
      if (ok) {
        settled = true
        resolve({ status, headers: toHeaders(res), body: res })
        return
      }
      readSmall(res).then(
        (text) => fail(faultError(status, res.statusMessage ?? '', text, label)),
        (err: unknown) => fail(transportError(err, label, opts.timeoutMs)),
      )
    })
    req.setTimeout(opts.timeoutMs, () => {
      const err = new OkeanosError(0, 'timeout', `~okeanos did not answer within ${opts.timeoutMs} ms`, 'no progress', label)
      if (settled && response) response.destroy(err)
      else fail(err)
    })
    req.on('error', (err) => {
      // Once an error answer is in, its fault body is the story (the server may reset the upload).
      if (!settled && !response) fail(transportError(err, label, opts.timeoutMs))
      else if (settled) response?.destroy(err)
    })
    if (!source) {
      req.end()
      return
    }

    // The source failing (the user's upload cut) aborts the call with the source's own error.
    source.once('error', (err) => {
      if (!settled) {
        settled = true
        req.destroy()
        reject(err)
      }
    })
    const declared = opts.headers?.['content-length']
    pipeline(source, lengthCheck(declared === undefined ? undefined : Number(declared), label), req, (err) => {
      if (err && (err as { code?: string }).code === 'LENGTH_MISMATCH') fail(err)
    })
  })
}

/**
 * Passes the body through, failing it once it turns out longer or shorter than the content-length it
 * was declared with: a server would otherwise wait for bytes that never come, until the timeout.
 */
function lengthCheck(declared: number | undefined, label: string): Transform {
  let bytes = 0
  // The source's fault, like a source error: not an OkeanosError (nothing to retry on ~okeanos's side).
  const mismatch = () => Object.assign(new Error(`${label}: the body gave ${bytes} bytes, not the ${declared} declared`), { code: 'LENGTH_MISMATCH' })
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      if (declared !== undefined && bytes > declared) return cb(mismatch())
      cb(null, chunk)
    },
    flush(cb) {
      cb(declared !== undefined && bytes !== declared ? mismatch() : null)
    },
  })
}

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers()
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue
    for (const value of Array.isArray(v) ? v : [v]) h.append(k, value)
  }
  return h
}

async function readSmall(res: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of res) {
    if (text.length < MAX_FAULT_BODY) text += (chunk as Buffer).toString('utf8')
  }
  return text.slice(0, MAX_FAULT_BODY)
}
