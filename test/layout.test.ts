import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// The layout's rules (docs/architecture.md "Layout"), read from every import of src/ and projections/:
// 1. the platform and the generic projections import no slice and nothing of src/app/;
// 2. in a slice, events, decider and statuses import only the platform, typebox and their own slice; only
//    routes/ imports fastify; only jobs/ imports okeanos, cluster or secrets;
// 3. a slice (or a read model) reaches another only through its index.ts.

const root = resolve(import.meta.dirname, '..')
const slices = ['instances', 'applications', 'webhooks']

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(path)
    else if (/\.(ts|mjs)$/.test(entry.name)) yield path
  }
}

interface Import { from: string; to: string }

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8')
  const found: Import[] = []
  for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
    const to = spec!.startsWith('.') ? relative(root, resolve(root, dirname(file), spec!)).replace(/\.js$/, '.ts') : spec!
    found.push({ from: file, to })
  }
  return found
}

function layoutViolations(files: string[], extra: Import[] = []): string[] {
  const problems: string[] = []
  const sliceOf = (path: string) => slices.find((s) => path.startsWith(`src/${s}/`) || path.startsWith(`projections/${s}/`))
  for (const { from, to } of [...files.flatMap(importsOf), ...extra]) {
      const fromSlice = sliceOf(from)
      const toSlice = sliceOf(to)
      const generic = from.startsWith('src/platform/') || /^projections\/[^/]+\.(ts|mjs)$/.test(from)
      if (generic && (toSlice || to.startsWith('src/app/'))) problems.push(`${from} (generic) imports ${to}`)
      if (fromSlice && /^src\/[^/]+\/(events|decider|statuses)\.ts$/.test(from)) {
        const allowed = to.startsWith('src/platform/') || to === 'typebox' || to.startsWith('typebox/') || to.startsWith(`src/${fromSlice}/`)
        if (!allowed) problems.push(`${from} (pure) imports ${to}`)
      }
      if (fromSlice && to === 'fastify' && !from.includes('/routes/')) problems.push(`${from} imports fastify outside routes/`)
      if (fromSlice && /^src\/(okeanos|cluster|secrets)\//.test(to) && !from.includes('/jobs/')) problems.push(`${from} imports ${to} outside jobs/`)
      if (fromSlice && toSlice && fromSlice !== toSlice && !/^(src|projections)\/[^/]+\/index\.ts$/.test(to))
        problems.push(`${from} reaches into ${to} past its index.ts`)
  }
  return problems
}
/** Broken rules not mended yet, each with the item that mends it. The test fails on any other, and on
 *  one of these once it is mended (take it off the list). */
const notYetMended = new Set([
  // the ~okeanos reads behind the create form (user-public-keys, projects, vm-parameter-values) call the client.
  'src/instances/routes/okeanos-info.ts imports src/okeanos/index.ts outside jobs/',
])

const files = [...sources('src'), ...sources('projections')].filter((f) => !f.startsWith('src/okeanos/emulator/'))

t.test('every import keeps to the layout', async (t) => {
  const problems = layoutViolations(files)
  t.same(problems.filter((p) => !notYetMended.has(p)), [], 'no broken rule beyond the known ones')
  t.same([...notYetMended].filter((p) => !problems.includes(p)), [], 'every known one is still there (mended: take it off the list)')
})

t.test('the rules catch what they are about', async (t) => {
  // Deliberately wrong imports, one per rule, read as if they were in the tree.
  const wrong = (from: string, to: string) => layoutViolations([], [{ from, to }])
  t.match(wrong('src/platform/command-handler.ts', 'src/instances/decider.ts'), [/generic/])
  t.match(wrong('projections/runner.ts', 'src/app/stores.ts'), [/generic/])
  t.match(wrong('src/instances/decider.ts', 'fastify'), [/pure/, /fastify/])
  t.match(wrong('src/instances/decider.ts', 'src/okeanos/index.ts'), [/pure/, /outside jobs/])
  t.match(wrong('src/applications/routes/apps.ts', 'src/instances/decider.ts'), [/past its index/])
  t.same(wrong('src/applications/routes/apps.ts', 'src/instances/index.ts'), [])
  t.same(wrong('src/instances/jobs/provisioning.ts', 'src/okeanos/index.ts'), [])
})

t.test('every test file is in exactly one tier (npm run test:unit, test:int, test:e2e)', async (t) => {
  // Each tier as tap itself lists it, the script run under /bin/sh as npm runs it: the tiers are a rule (unit:
  // named *.unit.test.ts, and this test; e2e: test/e2e/ and test/crash/; int: every other), not a list of paths.
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>
  const { NODE_OPTIONS, ...inherited } = process.env // the test's own loaders: tap list needs none
  const env = { ...inherited, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` }
  const listed = (command: string) => execFileSync('/bin/sh', ['-c', command.replace(/^tap\b/, 'tap list')], { cwd: root, env, encoding: 'utf8' }).split('\n').filter(Boolean)
  const tiers = ['test:unit', 'test:int', 'test:e2e'].map((name) => listed(scripts[name]!))
  const all = listed('tap')
  t.same([...all].sort(), [...sources('test')].filter((file) => file.endsWith('.test.ts')).sort(), 'npm test runs every test file')
  for (const file of all) t.equal(tiers.filter((tier) => tier.includes(file)).length, 1, file)
  t.same(tiers.flat().filter((file) => !all.includes(file)), [], 'and a tier runs nothing else')
})
