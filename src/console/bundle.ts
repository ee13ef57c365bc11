import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, stop } from 'esbuild'
import { buildSteps, instanceStatuses, type InstanceStatusCode } from '../instances/index.js'
import type { BuildStep } from './build-steps.js'

// The console's browser code, bundled from its TypeScript sources (ui/) by esbuild when the service first needs
// it: in memory, minified, never written anywhere. Each asset is named by its content's hash, so browsers keep
// it for good, and gzipped once here rather than on every request.

export interface Asset {
  body: Buffer
  gzipped: Buffer
  contentType: string
  etag: string
}

export interface ConsoleBundle {
  /** The page, naming the assets by their hashed names. */
  page: Asset
  /** By file name, as /console/<name> serves them. */
  assets: Map<string, Asset>
}

const ui = join(import.meta.dirname, 'ui')

function asset(body: Buffer, contentType: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { body, gzipped: gzipSync(body, { level: 9 }), contentType, etag }
}

const named = (code: InstanceStatusCode) => ({ code, name: instanceStatuses[code].name })

function steps(): BuildStep[] {
  return buildSteps.map(({ reached, failed }) => ({ reached: named(reached), ...(failed && { failed: named(failed) }) }))
}

export async function bundleConsole(): Promise<ConsoleBundle> {
  const result = await build({
    entryPoints: [join(ui, 'main.ts')],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    outdir: '/console',
    entryNames: 'console',
    legalComments: 'none',
    logLevel: 'silent',
    define: { LOD_BUILD_STEPS: JSON.stringify(steps()) },
  }).finally(() =>
    // esbuild builds in a child process of its own, which would otherwise stay (about 16 MB) for as long as the
    // service: the console is bundled once.
    stop(),
  )
  const assets = new Map<string, Asset>()
  let page = readFileSync(join(ui, 'index.html'), 'utf8')
  for (const file of result.outputFiles) {
    const ext = file.path.endsWith('.css') ? 'css' : 'js'
    const made = asset(Buffer.from(file.contents), ext === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8')
    const name = `console.${made.etag.slice(1, 13)}.${ext}`
    assets.set(name, made)
    page = page.replace(`{{${ext}}}`, `/console/${name}`)
  }
  const icon = asset(readFileSync(join(ui, 'icon.svg')), 'image/svg+xml')
  const iconName = `icon.${icon.etag.slice(1, 13)}.svg`
  assets.set(iconName, icon)
  page = page.replace('{{svg}}', `/console/${iconName}`)
  return { page: asset(Buffer.from(page), 'text/html; charset=utf-8'), assets }
}

/** The bundled sizes, gzipped, in bytes (what is sent): the issue caps the JS and CSS at 150 KB. */
export function gzippedSize(bundle: ConsoleBundle): number {
  return [...bundle.assets.values()].reduce((sum, a) => sum + a.gzipped.length, 0)
}
