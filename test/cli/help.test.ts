import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { lod } from '../support/lod.js'
import { tempDir } from '../support/temp-dir.js'

// Every command documents itself with --help; `lod` runs as the package's bin.

const commands = [['serve'], ['reactors'], ['emulator'], ['audit'], ['replay'], ['projections'], ['projections', 'rebuild'], ['projections', 'status'], ['events'], ['events', 'tail'], ['verify']]

t.test('--help on every command', async (t) => {
  for (const command of commands) {
    const run = await lod([...command, '--help'])
    t.equal(run.code, 0, command.join(' '))
    t.match(run.out, `Usage: lod ${command.join(' ')}`, command.join(' '))
  }
  const top = await lod(['--help'])
  for (const name of ['serve', 'reactors', 'emulator', 'audit', 'replay', 'projections', 'events', 'verify']) t.match(top.out, new RegExp(`\\n  ${name}\\b`))
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

t.test("--help loads the commands' definitions, not their implementations", async (t) => {
  // A module hook in the child records every module it loads; the project's own files must be only the CLI's
  // entry and its definitions (program.ts imports each command's implementation when the command runs).
  const root = join(import.meta.dirname, '..', '..')
  const dir = tempDir(t, 'lod-help-')
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs'
export async function load(url, context, next) {
  appendFileSync(process.env.LOD_TEST_LOADED, url + '\\n')
  return next(url, context)
}`,
  )
  const register = join(dir, 'register.mjs')
  writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
  for (const command of [[], ['serve'], ['verify']]) {
    const loaded = join(dir, `loaded-${command.join('-')}.txt`)
    writeFileSync(loaded, '')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', pathToFileURL(register).href, join(root, 'bin', 'lod.js'), ...command, '--help'], {
      env: { ...process.env, LOD_TEST_LOADED: loaded },
    })
    t.match(stdout, 'Usage: lod')
    const ours = readFileSync(loaded, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => relative(root, fileURLToPath(url)))
      .filter((path) => !path.startsWith('node_modules') && !path.startsWith('..'))
    t.same(ours.sort(), ['bin/lod.js', 'src/cli.ts', 'src/cli/io.ts', 'src/cli/program.ts'], ['lod', ...command, '--help'].join(' '))
  }
})
