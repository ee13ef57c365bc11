import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { demoUsers, fastDelays, startEmulator } from '../../src/okeanos/emulator/index.js'

// A 200 MB upload streams through the service (to disk, then to Pithos) without raising its memory by more
// than a few MB. The service runs as its own process, so its RSS is its own.

const size = Number(process.env.LOD_TEST_UPLOAD_MB ?? 200) * 1024 * 1024
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024

t.test(`a ${size >> 20} MB upload`, async (t) => {
  // ~okeanos (with its Pithos) runs here, so the service's process holds the service alone.
  const emulator = await startEmulator({ users: demoUsers(), delays: fastDelays })
  t.teardown(() => emulator.close())
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: { ...process.env, PORT: '0', LOD_DATA_DIR: t.testdir(), LOD_LOG_LEVEL: 'silent', LOD_OKEANOS_IDENTITY_URL: emulator.identityUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/[\d.:]+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`service exited (${code}): ${out}`)))
  })
  const token = demoUsers()[0]!.token
  const headers = { authorization: `Token ${token}` }
  const boundary = 'lod-memory-test'
  const chunk = Buffer.alloc(1024 * 1024, 0x61)
  const first = Buffer.from(chunk)
  first.write('PK\x03\x04', 0, 'latin1')
  const upload = async (name: string, bytes: number) => {
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nbatch\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="project_name"\r\n\r\nlambda.grnet.gr\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/java-archive\r\n\r\n`,
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    async function* body() {
      yield head
      for (let sent = 0; sent < bytes; sent += chunk.length) yield sent === 0 ? first : chunk
      yield tail
    }
    const response = await fetch(`${url}/api/apps/`, {
      method: 'POST',
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Readable.toWeb(Readable.from(body())) as ReadableStream,
      duplex: 'half',
    } as RequestInit)
    t.equal(response.status, 202, `${name} accepted`)
    const id = (await response.json()).data[0].id
    for (;;) {
      await new Promise((r) => setTimeout(r, 100))
      const status = (await (await fetch(`${url}/api/apps/${id}/`, { headers })).json()).data[0].status
      if (status.message === 'UPLOADED') return
      if (status.message === 'FAILED') throw new Error(status.failure_message)
    }
  }
  // An upload first, so that the working set every upload needs once (code paths, pooled buffers, about 20 MB)
  // is in the baseline: what is measured is whether memory grows with the size of the file.
  await upload('warm-up.jar', 64 * 1024 * 1024)
  await new Promise((r) => setTimeout(r, 500))
  const before = rssOf(child.pid!)
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 20)
  await upload('big.jar', size)
  clearInterval(sampler)
  const grew = (peak - before) / 1024 / 1024
  t.comment(`service RSS before ${(before / 1024 / 1024).toFixed(1)} MB, peak ${(peak / 1024 / 1024).toFixed(1)} MB (+${grew.toFixed(1)} MB) for ${size >> 20} MB`)
  t.ok(grew < 8, `the service's memory grew by ${grew.toFixed(1)} MB`)
})
