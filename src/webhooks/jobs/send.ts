import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { hostOf, isPrivateAddress } from '../destination.js'

// One attempt of a delivery: a POST of the signed body, with a deadline for the whole exchange, redirects not
// followed (a 3xx is an answer like any other), and at most 64 KB of the answer read. The connection goes to the
// address the check passed: the host is resolved by the lookup below, which refuses a private address (unless
// allowed), so no second resolution can send the request elsewhere (DNS rebinding).

export interface SendOptions {
  timeoutMs: number
  allowPrivate: boolean
}

export interface SendResult {
  httpStatus: number | null
  /** Why no status came, or what the receiver said (the start of its body) when it refused. */
  error: string
  retryAfter?: string
  durationMs: number
}

/** Most of a receiver's answer read: enough for a message, and a receiver cannot make us read a large body. */
export const maxAnswerBytes = 64 * 1024

class RefusedAddress extends Error {}

/** A dns.lookup that answers only addresses a webhook may connect to. */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, found) => {
      if (error) return callback(error, '', 0)
      const addresses = found as unknown as LookupAddress[]
      const allowed = addresses.filter((a) => allowPrivate || !isPrivateAddress(a.address))
      if (allowed.length === 0) return callback(new RefusedAddress(`${hostname} resolves to a non-public address`), '', 0)
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed)
      callback(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
}

/** Reads at most maxAnswerBytes of the answer, then lets the rest go. */
function readSome(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'))
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk.subarray(0, maxAnswerBytes - size))
      size += chunk.length
      if (size >= maxAnswerBytes) {
        response.destroy()
        done()
      }
    })
    response.on('end', done)
    response.on('error', done)
    response.on('close', done)
  })
}

export async function send(url: URL, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const host = hostOf(url)
  // A literal address is never looked up: it is checked here.
  if (isIP(host) && !options.allowPrivate && isPrivateAddress(host))
    return { httpStatus: null, error: `${host} is not a public address: not sent.`, durationMs: 0 }
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'lambda-on-demand-webhooks' },
    lookup: checkedLookup(options.allowPrivate),
    signal: AbortSignal.timeout(options.timeoutMs),
    agent: false,
  }
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<SendResult>((resolve) => {
    const request = make(url, requestOptions, (response) => {
      readSome(response).then((answer) => {
        const status = response.statusCode ?? null
        const retryAfter = response.headers['retry-after']
        const ok = status !== null && status >= 200 && status < 300
        resolve({
          httpStatus: status,
          error: ok ? '' : answer.slice(0, 500),
          durationMs: elapsed(),
          ...(typeof retryAfter === 'string' && { retryAfter }),
        })
      }, () => undefined)
    })
    request.on('error', (error: Error & { code?: string }) => {
      const why =
        error.name === 'AbortError' || error.name === 'TimeoutError'
          ? `No answer within ${options.timeoutMs / 1000} s.`
          : error instanceof RefusedAddress
            ? `${error.message}: not sent.`
            : `${error.code ?? error.name}: ${error.message}`
      resolve({ httpStatus: null, error: why, durationMs: elapsed() })
    })
    request.end(body)
  })
}
