import t from 'tap'
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEMO_PROJECT_ID } from '../../../src/okeanos/emulator/index.js'
import { startHarness } from '../../support/harness.js'
import { jar, multipart } from '../../support/multipart.js'
import { waitUntil } from '../../support/wait.js'
import { applicationStream } from '../../../src/applications/events.js'

// docs/original.md "Applications" and "What the original's tests asserted": the upload, over HTTP.

t.test('upload (TestApplicationUpload)', async (t) => {
  const h = await startHarness(t, { uploadLimit: 4096 })
  const upload = (fields: Parameters<typeof multipart>[0], token = h.alice.token) => h.call('POST', '/api/apps/', { ...multipart(fields), token })
  const base = { file: { filename: 'application.jar', content: jar() }, type: 'batch', project_name: 'lambda.grnet.gr', description: 'desc', execution_environment_name: 'Stream' }

  t.test('202 with an id and a self link; the upload is recorded', async (t) => {
    const res = await upload(base)
    t.equal(res.statusCode, 202, res.body)
    const body = res.json()
    t.equal(body.status.short_description, 'Your request to upload the specified application has been accepted')
    t.match(body.data[0].links.self, /^http:\/\/localhost(:\d+)?\/api\/apps\/([^/.]+)$/)
    const [event] = await h.service.log.readStream(applicationStream(body.data[0].id))
    t.match(event, {
      type: 'AppUploadRequested',
      data: { owner: h.alice.id, name: 'application.jar', project_id: DEMO_PROJECT_ID, container: 'lambda_applications_lambda.grnet.gr', description: 'desc', type: 'BATCH', execution_environment_name: 'Stream', size: 64 },
    })
    const details = (await h.call('GET', `/api/apps/${body.data[0].id}/`)).json().data[0]
    t.match(details, { name: 'application.jar', status: { code: '1', message: 'UPLOADING' } })
  })
  t.test('the same name in the same project: 400', async (t) => {
    const res = await upload(base)
    t.same([res.statusCode, res.json().errors[0].detail], [400, 'The specified file name already exists.'])
  })
  t.test('the same name in another project: 202', async (t) => {
    t.equal((await upload({ ...base, project_name: 'tiny.grnet.gr' }, h.bob.token)).statusCode, 202)
    t.equal((await upload({ ...base, project_name: 'lambda.grnet.gr' }, h.bob.token)).statusCode, 202, "and in another owner's project list")
  })
  t.test('no description, no execution environment: 202 with empty strings', async (t) => {
    const { description, execution_environment_name, ...rest } = base
    const res = await upload({ ...rest, file: { filename: 'other.jar', content: jar() } })
    t.equal(res.statusCode, 202)
    t.match((await h.service.log.readStream(applicationStream(res.json().data[0].id)))[0]!.data, { description: '', execution_environment_name: '' })
  })
  t.test('type streaming: 202, STREAMING', async (t) => {
    const res = await upload({ ...base, type: 'Streaming', file: { filename: 'stream.jar', content: jar() } })
    t.equal(res.statusCode, 202)
    t.equal((await h.call('GET', `/api/apps/${res.json().data[0].id}/`)).json().data[0].type, 'STREAMING')
  })
  const refusals: Array<[string, Parameters<typeof multipart>[0], number, string]> = [
    ['no file', { type: 'batch', project_name: 'lambda.grnet.gr' }, 400, 'No file uploaded.'],
    ['no type', { file: base.file, project_name: 'lambda.grnet.gr' }, 400, 'Wrong or no application type specified (correct choices: batch/streaming).'],
    ['a wrong type', { ...base, type: 'interactive' }, 400, 'Wrong or no application type specified (correct choices: batch/streaming).'],
    ['no project name', { file: base.file, type: 'batch' }, 400, 'No ~okeanos project name provided.'],
    ['a project the user is not in', { ...base, project_name: 'a-wrong-project-name' }, 409, "Can't use ~okeanos a-wrong-project-name project. You are not subscribed in it."],
    ['a file name no shell should see', { ...base, file: { filename: 'a b;rm -rf.jar', content: jar() } }, 400, 'The file name may use only'],
    ['an empty file', { ...base, file: { filename: 'empty.jar', content: Buffer.alloc(0) } }, 400, 'The uploaded file is empty.'],
    ['not a jar', { ...base, file: { filename: 'notes.jar', content: Buffer.from('just some text') } }, 400, 'The uploaded file is not a jar (a zip archive).'],
    ['over the size limit', { ...base, file: { filename: 'big.jar', content: jar(10_000) } }, 413, 'request file too large'],
  ]
  for (const [name, fields, status, detail] of refusals)
    t.test(`${name}: ${status}`, async (t) => {
      const before = await h.service.log.headPosition()
      const res = await upload(fields)
      t.equal(res.statusCode, status, res.body)
      t.match(res.json().errors[0].detail, detail)
      t.equal(await h.service.log.headPosition(), before, 'nothing appended')
    })
  t.test('a JSON body is a 415', async (t) => t.equal((await h.call('POST', '/api/apps/', { payload: { type: 'batch' } })).statusCode, 415))
})

t.test('an upload cut short: an answer, nothing recorded, no partial file left', async (t) => {
  const dataDir = t.testdir()
  const uploads = join(dataDir, 'uploads')
  // The commands' body timeout is shorter than these uploads take: an upload is let off it.
  const uploadMs = 4000
  const h = await startHarness(t, { dataDir, synchronous: 'normal', uploadIdleTimeoutMs: 1000, timeouts: { headersMs: 1000, bodyMs: 1000, uploadMs } })
  const port = new URL(await h.service.app.listen({ port: 0, host: '127.0.0.1' })).port
  const leftovers = () => readdirSync(uploads)
  const fields = { type: 'batch', project_name: 'lambda.grnet.gr', description: 'desc', file: { filename: 'cut.jar', content: jar(64 * 1024) } }
  const { payload, headers } = multipart(fields)
  const inFile = payload.indexOf('PK\x03\x04') + 32 * 1024

  /** The body over a socket, announcing `length` bytes (more than it sends, for a client that stalls). */
  const send = (body: Buffer, length = body.length) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    socket.write(
      `POST /api/apps/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Token ${h.alice.token}\r\n` +
        `Content-Type: ${headers['content-type']}\r\nContent-Length: ${length}\r\n\r\n`,
    )
    socket.write(body)
    let got = ''
    socket.on('data', (chunk: Buffer) => (got += chunk.toString()))
    // The whole answer, once the service closes the connection.
    const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(got)))
    return { socket, answer, received: () => got }
  }
  const until = (what: string, condition: () => boolean) => waitUntil(what, condition, 10_000)

  t.test('a body that ends without its closing boundary: 400', async (t) => {
    const { payload: fileFirst } = multipart({ file: fields.file, type: 'batch', project_name: 'lambda.grnet.gr', description: 'a description cut short' })
    const cuts: Array<[string, Buffer]> = [
      ['inside the file', payload.subarray(0, inFile)],
      ['at the delimiter after the file', payload.subarray(0, payload.length - '--\r\n'.length)],
      ['before the closing boundary', payload.subarray(0, payload.length - '--lod-test-boundary--\r\n'.length)],
      ['inside a field after the file', fileFirst.subarray(0, fileFirst.indexOf('a description') + 5)],
    ]
    for (const [where, body] of cuts) {
      const before = await h.service.log.headPosition()
      const res = await h.call('POST', '/api/apps/', { payload: body, headers })
      t.equal(res.statusCode, 400, `${where}: ${res.body}`)
      t.same(res.json(), { errors: [{ status: 400, detail: 'Malformed multipart body: Unexpected end of multipart data' }] }, where)
      t.equal(await h.service.log.headPosition(), before, `${where}: nothing appended`)
      t.same(leftovers(), [], `${where}: no file left`)
    }
  })

  t.test('a client that stalls inside the file: 408 after the idle timeout, the connection closed', async (t) => {
    const before = await h.service.log.headPosition()
    const started = Date.now()
    const { answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    const response = await Promise.race([answer, sleep(10_000).then(() => 'no answer in 10 s')])
    const elapsed = Date.now() - started
    t.match(response, /^HTTP\/1\.1 408 /, response)
    t.match(response, /\r\nconnection: close\r\n/i)
    t.same(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), {
      errors: [{ status: 408, detail: 'The upload sent nothing for 1 s; it was abandoned. Send the whole body without pausing.' }],
    })
    t.ok(elapsed >= 900, `answered after the idle timeout (${elapsed} ms)`)
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
    t.same(leftovers(), [], 'the partial file removed')
  })

  t.test('a client that disconnects inside the file: the partial file removed', async (t) => {
    const before = await h.service.log.headPosition()
    const { socket, answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    socket.destroy()
    await answer
    await until('removing the partial file', () => leftovers().length === 0)
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
  })

  t.test('a slow client that keeps sending is not cut off', async (t) => {
    const { payload: slow } = multipart({ ...fields, file: { filename: 'slow.jar', content: jar(64 * 1024) } })
    const pieces = 6
    const size = Math.ceil(slow.length / pieces)
    const { socket, received } = send(slow.subarray(0, size), slow.length)
    for (let i = 1; i < pieces; i++) {
      await sleep(300) // 1.5 s in all, longer than the idle and body timeouts, but never idle that long
      t.equal(received(), '', 'no answer while it sends')
      socket.write(slow.subarray(i * size, (i + 1) * size))
    }
    await until('answered', () => received().includes('\r\n\r\n'))
    t.match(received(), /^HTTP\/1\.1 202 /)
    socket.destroy()
  })

  t.test('a client that trickles, never idle for long, is cut at the upload timeout: 408, no partial file left', async (t) => {
    const before = await h.service.log.headPosition()
    const { socket, answer } = send(payload.subarray(0, inFile), payload.length)
    await until('receiving the file', () => leftovers().some((name) => name.endsWith('.part')))
    const trickle = setInterval(() => socket.write(Buffer.alloc(16, 0x61)), 300)
    t.teardown(() => clearInterval(trickle))
    // Node checks its limits every second.
    const response = await Promise.race([answer, sleep(uploadMs + 3000).then(() => 'no answer after the upload timeout')])
    clearInterval(trickle)
    t.match(response, /^HTTP\/1\.1 408 /, response)
    t.same(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)), {
      errors: [{ status: 408, detail: 'The request did not arrive in time (its headers within 1 s, an upload within 4 s); it was abandoned.' }],
    })
    await until('removing the partial file', () => !leftovers().some((name) => name.endsWith('.part')))
    t.equal(await h.service.log.headPosition(), before, 'nothing appended')
  })

  t.test('afterwards the service still takes a whole upload', async (t) => {
    const res = await h.call('POST', '/api/apps/', { payload, headers })
    t.equal(res.statusCode, 202, res.body)
    t.ok(leftovers().includes(`${res.json().data[0].id}.jar`), 'the file kept for the reactor')
    t.same(leftovers().filter((name) => name.endsWith('.part')), [], 'and no partial file')
  })
})
