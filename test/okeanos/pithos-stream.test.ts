import t from 'tap'
import { createHash, randomFillSync } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Okeanos, OkeanosError } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, MiB } from '../../src/okeanos/emulator/index.js'

// Streamed uploads and downloads: the bytes flow through, they never sit in memory (the emulator runs in
// this process too, so its side counts in the same RSS).

// Every 64 KiB socket read or file chunk is garbage a moment later, and V8 collects such buffers only
// once tens of MB of them piled up: left alone, RSS measures when the GC last ran rather than what the
// transfer holds. So the memory test runs a young-generation collection every 2 MB moved (`gc`, exposed
// at run time; cheap), and also reports the growth with V8 left to its own timing, for information.
setFlagsFromString('--expose_gc')
const gcAny = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void
let collecting = false
let sinceCollect = 0
function moved(bytes: number): void {
  if (!collecting || (sinceCollect += bytes) < 2 * MiB) return
  sinceCollect = 0
  gcAny({ type: 'minor' })
}

const emu = await startEmulator({ delays: fastDelays })
t.teardown(() => emu.close())
const [alice] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const container = 'lambda_applications_streams'
await a.pithos.createContainer(container, DEMO_PROJECT_ID)
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)

/**
 * `total` pseudo-random bytes in 64 KiB chunks, generated as they are read; `hash` is their SHA-256 once
 * done. The chunks come from a ring of buffers allocated up front, so the generator itself makes no
 * garbage for the measurement to see; the ring is far larger than what can be in flight (the stream's
 * backpressure stops reading after a few chunks), and the hash comparison would catch any reuse too early.
 */
const CHUNK = 64 * 1024
const ring = Array.from({ length: 128 }, () => randomFillSync(Buffer.allocUnsafeSlow(CHUNK)))
function generated(total: number) {
  const sha = createHash('sha256')
  const out = {
    hash: '',
    async *[Symbol.asyncIterator]() {
      for (let sent = 0, i = 0; sent < total; i++) {
        const slot = ring[i % ring.length]!
        slot.writeUInt32BE(i, 0) // every chunk differs, so a misplaced or repeated chunk changes the hash
        const chunk = slot.subarray(0, Math.min(CHUNK, total - sent))
        sha.update(chunk)
        sent += chunk.length
        moved(chunk.length)
        yield chunk
      }
      out.hash = sha.digest('hex')
    },
  }
  return out
}

async function sha256Of(stream: AsyncIterable<Uint8Array>): Promise<{ hash: string; bytes: number }> {
  const sha = createHash('sha256')
  let bytes = 0
  for await (const chunk of stream) {
    sha.update(chunk)
    bytes += chunk.length
    moved(chunk.length)
  }
  return { hash: sha.digest('hex'), bytes }
}

/** Runs `fn`, sampling RSS every 10 ms; answers the peak growth over the RSS before it. */
async function rssGrowth(fn: () => Promise<void>, collect: boolean): Promise<number> {
  gcAny()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  collecting = collect
  try {
    await fn()
  } finally {
    collecting = false
    clearInterval(timer)
  }
  return Math.max(peak, process.memoryUsage().rss) - before
}

/** A 50 MB streamed PUT then GET of `name`; the peak RSS growth of each and what came back. */
async function roundTrip(name: string, collect: boolean) {
  const size = 50 * MiB
  const body = generated(size)
  let etag = ''
  const up = await rssGrowth(async () => {
    etag = await a.pithos.putObjectStream(container, name, body, { contentType: 'application/java-archive', size })
  }, collect)
  let got = { hash: '', bytes: 0 }
  let meta: { contentType: string; size: number | undefined } = { contentType: '', size: 0 }
  const down = await rssGrowth(async () => {
    const stream = await a.pithos.getObjectStream(container, name)
    meta = { contentType: stream.contentType, size: stream.size }
    got = await sha256Of(stream)
  }, collect)
  return { size, sent: body.hash, etag, up, down, got, meta }
}

const mb = (n: number) => `${(n / MiB).toFixed(1)} MB`

t.test('a 50 MB object streams up and down without growing the process', async (t) => {
  // Warm up the code paths (JIT, sockets, allocator) so the measurement sees the transfer only.
  await a.pithos.putObjectStream(container, 'warm.jar', generated(4 * MiB))
  await sha256Of(await a.pithos.getObjectStream(container, 'warm.jar'))

  const r = await roundTrip('big.jar', true)
  t.comment(`RSS growth with the GC keeping up: upload ${mb(r.up)}, download ${mb(r.down)}`)
  t.ok(r.up < 10 * MiB, `upload grew RSS by ${mb(r.up)}`)
  t.ok(r.down < 10 * MiB, `download grew RSS by ${mb(r.down)}`)
  t.equal(r.got.bytes, r.size)
  t.equal(r.got.hash, r.sent, 'the same bytes came back')
  t.same(r.meta, { contentType: 'application/java-archive', size: r.size })
  t.match(r.etag, /^[0-9a-f]{32}$/)
  t.match(await a.pithos.headObject(container, 'big.jar'), { bytes: r.size, contentType: 'application/java-archive', etag: r.etag })
  t.equal(await a.pithos.headObject(container, 'nope.jar'), undefined)
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': r.size + 4 * MiB })

  // The same upload again (replacing the object), with V8 left to its own timing: bounded by the GC's
  // heuristics (tens of MB), not by the object's size.
  const unaided = await rssGrowth(() => a.pithos.putObjectStream(container, 'big.jar', generated(r.size), { size: r.size }).then(() => {}), false)
  t.comment(`RSS growth of the upload left to V8's own GC timing: ${mb(unaided)}`)
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': r.size + 4 * MiB }, 'a replaced object is charged once')

  await a.pithos.deleteObject(container, 'big.jar')
  await a.pithos.deleteObject(container, 'warm.jar')
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': 0 })
})

t.test('the buffer API and the stream API see the same objects', async (t) => {
  const etag = await a.pithos.putObject(container, 'small.jar', Buffer.from('PK\x03\x04 small'), 'application/java-archive')
  t.equal((await sha256Of(await a.pithos.getObjectStream(container, 'small.jar'))).hash, createHash('sha256').update('PK\x03\x04 small').digest('hex'))
  const streamed = await a.pithos.putObjectStream(container, 'small.jar', [Buffer.from('PK\x03\x04 '), Buffer.from('small')])
  t.equal(streamed, etag, 'same bytes, same ETag, chunked or not')
  t.equal((await a.pithos.getObject(container, 'small.jar')).data.toString(), 'PK\x03\x04 small')
  t.match(await a.pithos.listObjects(container), [{ name: 'small.jar', bytes: 10 }])
  await a.pithos.deleteObject(container, 'small.jar')
})

t.test('quota: a declared size that cannot fit is refused at once; a chunked one is cut', async (t) => {
  emu.setProjectQuota(DEMO_PROJECT_ID, { limits: { 'pithos.diskspace': 1 * MiB } })
  t.teardown(() => emu.setProjectQuota(DEMO_PROJECT_ID, { limits: { 'pithos.diskspace': 200 * 1024 * MiB } }))
  let pulled = 0
  async function* counted(total: number) {
    for (let i = 0; i < total; i += 64 * 1024) {
      pulled += 64 * 1024
      yield Buffer.alloc(64 * 1024)
    }
  }
  const declared = await err(a.pithos.putObjectStream(container, 'huge.jar', counted(100 * MiB), { size: 100 * MiB }))
  t.match(declared, { status: 413, details: `Limit for resource 'Storage space' exceeded for your account. Available: ${MiB}, Requested: ${100 * MiB}` })
  t.ok(pulled < 20 * MiB, `the upload stopped early (${pulled} bytes read from the source)`)

  pulled = 0
  const chunked = await err(a.pithos.putObjectStream(container, 'huge.jar', counted(100 * MiB)))
  t.match(chunked, { status: 413, faultName: 'overLimit' })
  t.ok(pulled < 20 * MiB, `the upload stopped early (${pulled} bytes read from the source)`)
  t.equal(await a.pithos.headObject(container, 'huge.jar'), undefined, 'nothing stored')
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': 0 })
})

t.test('a streamed PUT is tried once; a GET is retried until it starts', async (t) => {
  emu.injectFault({ method: 'PUT', path: '/big-retry.jar$', status: 503, times: 1 })
  const put = await err(a.pithos.putObjectStream(container, 'big-retry.jar', [Buffer.from('x')]))
  t.match(put, { status: 503, transient: true })
  t.equal(emu.requests().filter((r) => r.path.endsWith('/big-retry.jar')).length, 1, 'one attempt only')

  await a.pithos.putObjectStream(container, 'big-retry.jar', [Buffer.from('abc')])
  emu.injectFault({ method: 'GET', path: '/big-retry.jar$', status: 503, times: 2 })
  t.equal((await sha256Of(await a.pithos.getObjectStream(container, 'big-retry.jar'))).bytes, 3)
  t.match(await err(a.pithos.getObjectStream(container, 'missing.jar')), { status: 404, okeanosMessage: 'Object does not exist' })
  t.match(await err(a.pithos.getObjectStream('no-container', 'x.jar')), { status: 404, okeanosMessage: 'Container does not exist' })
  await a.pithos.deleteObject(container, 'big-retry.jar')
})

t.test('a source that fails aborts the upload with its own error and stores nothing', async (t) => {
  async function* broken() {
    yield Buffer.alloc(256 * 1024)
    throw new Error('the user went away')
  }
  const e = await err(a.pithos.putObjectStream(container, 'cut.jar', broken()))
  t.notOk(e instanceof OkeanosError)
  t.match(e, { message: 'the user went away' })
  await new Promise((r) => setTimeout(r, 20))
  t.equal(await a.pithos.headObject(container, 'cut.jar'), undefined)
  t.match(emu.usage(DEMO_PROJECT_ID, alice!.id), { 'pithos.diskspace': 0 })
})

t.test('timeouts are inactivity timeouts', async (t) => {
  const slow = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1, timeoutMs: 400, retries: 0 })
  emu.injectFault({ method: 'GET', path: '/slow.jar$', delayMs: 1000, delayOnly: true })
  await slow.pithos.putObjectStream(container, 'slow.jar', [Buffer.from('zzz')])
  t.match(await err(slow.pithos.getObjectStream(container, 'slow.jar')), { status: 0, faultName: 'timeout', transient: true })
  // A transfer that keeps moving outlives the timeout (600 ms in all, a chunk every 120 ms).
  async function* trickle() {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 120))
      yield Buffer.from('chunk')
    }
  }
  await slow.pithos.putObjectStream(container, 'slow.jar', trickle())
  t.equal((await slow.pithos.headObject(container, 'slow.jar'))?.bytes, 25)
  await a.pithos.deleteObject(container, 'slow.jar')
})

t.test('object bodies live in the emulator temp dir, removed on close', async (t) => {
  const other = await startEmulator({ delays: fastDelays })
  const b = await Okeanos.connect(other.identityUrl, alice!.token, { backoffMs: 1 })
  await b.pithos.createContainer('c', DEMO_PROJECT_ID)
  await b.pithos.putObjectStream('c', 'x.jar', [Buffer.alloc(1000)])
  const dir = other.tempDir
  t.equal(readdirSync(dir).length, 1)
  await b.pithos.putObjectStream('c', 'x.jar', [Buffer.alloc(10)])
  t.equal(readdirSync(dir).length, 1, 'a replaced body is removed')
  other.reset()
  t.equal(readdirSync(dir).length, 0, 'reset empties it')
  await other.close()
  t.notOk(existsSync(dir))
})

t.test('a source shorter than its declared size fails at once', async (t) => {
  const started = Date.now()
  const e = await err(a.pithos.putObjectStream(container, 'short.jar', [Buffer.from('12345')], { size: 10 }))
  t.notOk(e instanceof OkeanosError, 'the source is at fault, not ~okeanos')
  t.match(e, { code: 'LENGTH_MISMATCH', message: /the body gave 5 bytes, not the 10 declared$/ })
  t.ok(Date.now() - started < 2000, 'without waiting for a timeout')
  t.equal(await a.pithos.headObject(container, 'short.jar'), undefined)
})
