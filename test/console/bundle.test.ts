import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { startHarness } from '../support/harness.js'
import { consoleBundle, contentSecurityPolicy, gzippedSize } from '../../src/console/index.js'

// The console as served: the page and its assets with their headers (CSP, caching, gzip, ETag), the size the
// issue caps, and the browser code's one rule about API data (text, never HTML).

const limit = 150 * 1024

t.test('the bundle: its JS and CSS gzipped within 150 KB', async (t) => {
  const bundle = await consoleBundle()
  const size = gzippedSize(bundle)
  t.comment(`console bundle: ${(size / 1024).toFixed(1)} KB gzipped (${[...bundle.assets.keys()].join(', ')})`)
  t.ok(size <= limit, `${size} bytes gzipped, at most ${limit}`)
  t.ok([...bundle.assets.keys()].some((name) => /^console\.[\w-]+\.js$/.test(name)) && [...bundle.assets.keys()].some((name) => name.endsWith('.css')))
})

t.test('GET / and its assets: a strict CSP, no inline script, cached by content, gzipped, 304 on a match', async (t) => {
  const h = await startHarness(t, { processMetrics: false })
  const page = await h.call('GET', '/', { token: null })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['content-security-policy'], contentSecurityPolicy)
  t.notMatch(contentSecurityPolicy, /unsafe-inline|unsafe-eval|\*|https?:/, 'nothing but the service itself')
  t.equal(page.headers['cache-control'], 'no-cache')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  const html = page.body
  t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
  t.notMatch(html, /\son[a-z]+=|style=/i, 'no inline handler or style')
  t.notMatch(html, /https?:\/\//, 'no other origin (no CDN)')

  const again = await h.call('GET', '/', { token: null, headers: { 'if-none-match': String(page.headers.etag) } })
  t.equal(again.statusCode, 304)

  const scripts = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]!)
  t.equal(scripts.length, 3, 'the script, the style sheet and the icon')
  for (const path of scripts) {
    const plain = await h.call('GET', path, { token: null })
    t.equal(plain.statusCode, 200, path)
    t.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable')
    const zipped = await h.call('GET', path, { token: null, headers: { 'accept-encoding': 'gzip, br' } })
    t.equal(zipped.headers['content-encoding'], 'gzip')
    t.equal(gunzipSync(zipped.rawPayload).toString(), plain.body, 'the same file, gzipped')
  }
  const missing = await h.call('GET', '/console/console.nothing.js', { token: null })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { errors: [{ status: 404 }] })
})

t.test('the browser code never makes HTML of a string: text nodes only', async (t) => {
  const ui = resolve(import.meta.dirname, '..', '..', 'src', 'console', 'ui')
  for (const file of readdirSync(ui).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(ui, file), 'utf8')
    t.notMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, file)
  }
})
