import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { lod } from './support.js'

// Every command documents itself with --help; `lod` runs as the package's bin.

const commands = [['serve'], ['emulator'], ['audit'], ['replay'], ['projections'], ['projections', 'rebuild'], ['projections', 'status'], ['events'], ['events', 'tail'], ['verify']]

t.test('--help on every command', async (t) => {
  for (const command of commands) {
    const run = await lod([...command, '--help'])
    t.equal(run.code, 0, command.join(' '))
    t.match(run.out, `Usage: lod ${command.join(' ')}`, command.join(' '))
  }
  const top = await lod(['--help'])
  for (const name of ['serve', 'emulator', 'audit', 'replay', 'projections', 'events', 'verify']) t.match(top.out, new RegExp(`\\n  ${name}\\b`))
})

t.test('an unknown command or a bad option value is refused with the usage', async (t) => {
  const unknown = await lod(['frobnicate'])
  t.equal(unknown.code, 1)
  t.match(unknown.err, "error: unknown command 'frobnicate'")
  const bad = await lod(['events', 'tail', '-n', 'many'])
  t.equal(bad.code, 1)
  t.match(bad.err, "expected a positive integer, got 'many'")
})

t.test('bin/lod.js runs the CLI', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'lod.js'), 'verify', '--help'])
  t.match(stdout, 'Usage: lod verify [options]')
})
