import t from 'tap'
import { createServer } from 'node:net'
import { lod } from '../support/lod.js'
import { tempDir } from '../support/temp-dir.js'

// A port already taken is the operator's to fix: one line that says which setting, and the process free to end.

t.test('lod serve on a port in use says so in one line and leaves nothing running', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const run = await lod(['serve'], { env: { PORT: String(port), HOST: '127.0.0.1', LOD_DATA_DIR: tempDir(t), LOD_LOG_LEVEL: 'silent' } })
  t.equal(run.code, 2)
  t.equal(run.err, `lod: cannot listen on 127.0.0.1:${port}: another process listens there; set PORT (0: any free port) or HOST`)
  t.notMatch(run.err, /\n|at /, 'no stack trace')
})
