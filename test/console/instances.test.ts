import t from 'tap'
import { randomUUID } from 'node:crypto'
import { startCluster } from '../support/cluster.js'
import { openConsole, signIn } from '../support/browser.js'
import { contentSecurityPolicy } from '../../src/console/index.js'

// The web console in headless Chromium against the service and the ~okeanos emulator (its fast delays: a
// cluster is STARTED in a few seconds): sign in, a refused token, create through the form (its per-field errors
// first), the build seen live to STARTED, an instance created elsewhere appearing, a hostile name shown as text,
// stop, start and destroy from the detail page.

// What the browser logs for the refusals these tests ask for (a wrong token, an invalid form, a conflict) is
// expected; any other console error or exception fails the test.
const expected = /Failed to load resource: the server responded with a status of (400|401|409)/
const unexpected = (problems: string[]) => problems.filter((p) => !expected.test(p))
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

t.test('sign in: a wrong token shows the API message; the right one signs in; signing out forgets it', async (t) => {
  const c = await startCluster(t)
  const reply = await fetch(`${c.url}/`)
  t.equal(reply.headers.get('content-security-policy'), contentSecurityPolicy)
  t.match(reply.headers.get('content-security-policy'), /default-src 'self'/)
  t.notMatch(reply.headers.get('content-security-policy'), /unsafe/)

  const { page, problems, snap } = await openConsole(t, c.url)
  await page.getByLabel('~okeanos token').waitFor()
  // Said, not asserted (no timing assertions): the issue asks for the first screen within 1 s.
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime)
  t.comment(`first contentful paint of the sign-in screen: ${paint === undefined ? 'not reported' : `${Math.round(paint)} ms`}`)
  await page.getByLabel('~okeanos token').fill('not-a-token')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('alert').getByText('Unauthorized. Request failed because user provided an invalid token.').waitFor()
  await snap('wrong-token')

  await signIn(page, c.token)
  await page.getByRole('heading', { name: 'Lambda instances' }).waitFor()
  t.ok(await page.getByText('Alice Papadopoulou').isVisible(), "the user's name from /api/authenticate/")
  t.equal(await page.evaluate(() => sessionStorage.getItem('lod-token')), c.token, 'kept in sessionStorage')
  t.notOk(page.url().includes(c.token), 'never in the URL')
  await snap('signed-in')

  // A reload keeps the session (the tab's sessionStorage); signing out forgets it.
  await page.reload()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('~okeanos token').waitFor()
  t.equal(await page.evaluate(() => sessionStorage.getItem('lod-token')), null)
  t.same(unexpected(problems), [], 'no console errors')
})

t.test('create through the form: its errors beside the fields, then the build seen live up to STARTED', async (t) => {
  const c = await startCluster(t)
  const { page, problems, snap } = await openConsole(t, c.url)
  await signIn(page, c.token)
  await page.getByRole('link', { name: 'Create a lambda instance' }).click()
  await page.getByLabel('Instance name').waitFor()
  // Choices read from ~okeanos through the service.
  t.same(await page.getByLabel('Master CPUs').locator('option').allTextContents(), ['1', '2', '4', '8'])
  t.ok(await page.getByLabel('alice-laptop').isVisible(), 'a checkbox per SSH key')

  // Left blank, the names are refused by the API: its messages beside their fields.
  await page.getByLabel('Master CPUs').selectOption('1')
  await page.getByRole('button', { name: 'Create' }).click()
  const errorOf = (label: string) => page.locator('.field', { has: page.getByLabel(label) }).locator('.field-error')
  await errorOf('Instance name').getByText('This field may not be blank.').waitFor()
  t.match(await errorOf('Master CPUs').textContent(), /Wrong Number of master vcpus/)
  t.equal(await page.getByLabel('Instance name').getAttribute('aria-invalid'), 'true')
  await snap('form-errors')

  await page.getByLabel('Instance name').fill('console cluster')
  await page.getByLabel('Master name').fill('console-master')
  await page.getByLabel('Number of slaves').fill('1')
  await page.getByLabel('Master CPUs').selectOption('2')
  await page.getByLabel('alice-laptop').check()
  await page.getByRole('button', { name: 'Create' }).click()
  await page.getByRole('heading', { name: 'console cluster' }).waitFor()
  await snap('building')
  // No reload: the status comes by the instance's stream.
  await page.locator('.status-line').getByText('STARTED', { exact: true }).waitFor({ timeout: 30_000 })
  t.equal(await page.getByRole('progressbar', { name: 'Install progress' }).getAttribute('value'), '9')
  // The history follows, without a reload either.
  await page.getByRole('cell', { name: 'InstanceRequested' }).waitFor()
  await page.getByRole('cell', { name: 'FLUME_INSTALLED → STARTED' }).waitFor()
  await snap('started')
  t.same(unexpected(problems), [])
})

t.test('the list is live: an instance created elsewhere appears; a hostile name stays text', async (t) => {
  const c = await startCluster(t)
  const { page, problems, snap } = await openConsole(t, c.url)
  await signIn(page, c.token)
  await page.getByText('Live: statuses update as they change.').waitFor()
  const hostile = '<img src=x onerror="window.pwned=1">'
  await c.create({ instance_name: hostile, slaves: 0 })
  const link = page.getByRole('link', { name: hostile })
  await link.waitFor()
  t.equal(await link.textContent(), hostile, 'the name, as text')
  t.equal(await page.locator('main img').count(), 0, 'no element made of it')
  t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'no script of it ran')
  await page.getByText('1 lambda instance', { exact: true }).waitFor()
  const row = page.getByRole('row', { name: new RegExp(escape(hostile)) })
  await row.getByText('STARTED').waitFor({ timeout: 30_000 })
  await snap('list-live')
  await link.click()
  await page.getByRole('heading', { name: hostile }).waitFor()
  t.equal(await page.locator('main img').count(), 0)
  await snap('hostile-detail')

  // A stage that fails: marked in words, with the service VM's message.
  c.emulator.failStage({ stage: 'kafka' })
  const broken = await c.create({ instance_name: 'broken', slaves: 0 })
  await page.getByRole('link', { name: '← All lambda instances' }).click()
  await page.getByRole('link', { name: 'broken' }).click()
  await page.getByRole('listitem').filter({ hasText: 'KAFKA_FAILED (failed)' }).waitFor({ timeout: 30_000 })
  await page.getByRole('alert').getByText('Failed: Ansible task failed').waitFor()
  t.ok(broken)
  await snap('failed-stage')
  t.same(unexpected(problems), [])
})

t.test('stop, start and destroy from the detail page, each confirmed first', async (t) => {
  const c = await startCluster(t)
  const id = await c.create({ instance_name: 'to manage', slaves: 0 })
  await c.waitFor(id, ['STARTED'])
  const { page, problems, snap } = await openConsole(t, `${c.url}/#/instances/${id}`)
  await signIn(page, c.token)
  const status = page.locator('.status-line')
  await status.getByText('STARTED', { exact: true }).waitFor()

  // Cancelled: nothing asked.
  await page.getByRole('button', { name: 'Stop' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
  t.equal((await c.api('GET', `/api/lambda-instances/${id}/?filter=status`)).json.data[0].status.message, 'STARTED', 'a cancelled stop asks nothing')

  await page.getByRole('button', { name: 'Stop' }).click()
  await snap('confirm-stop')
  await page.getByRole('dialog').getByRole('button', { name: 'Stop' }).click()
  await status.getByText('STOPPED', { exact: true }).waitFor({ timeout: 30_000 })
  await snap('stopped')

  // From the keyboard: the dialog takes the focus, Enter on its button confirms.
  await page.getByRole('button', { name: 'Start' }).focus()
  await page.keyboard.press('Enter')
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).focus()
  await page.keyboard.press('Enter')
  await status.getByText('STARTED', { exact: true }).waitFor({ timeout: 30_000 })

  // A refusal shows the API's message.
  await page.getByRole('button', { name: 'Start' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Start' }).click()
  await page.getByRole('alert').getByText('The specified lambda instance is already started.').waitFor()
  await snap('conflict')

  await page.getByRole('button', { name: 'Destroy' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Destroy' }).click()
  await status.getByText('DESTROYED', { exact: true }).waitFor({ timeout: 30_000 })
  await page.getByRole('cell', { name: 'DESTROYING → DESTROYED' }).waitFor()
  t.notOk(await page.getByRole('button', { name: 'Start' }).isVisible(), 'no action offered on a destroyed instance')
  await snap('destroyed')
  t.equal((await c.waitFor(id, ['DESTROYED'])).message, 'DESTROYED')
  t.same(unexpected(problems), [])
})

t.test('the list in pages with its count, used from the keyboard only', async (t) => {
  const c = await startCluster(t)
  // Records registered by service VMs (no cluster is built for them): twelve instances, two pages of ten.
  for (let i = 1; i <= 12; i++) {
    const body = { uuid: randomUUID(), name: `registered ${String(i).padStart(2, '0')}`, instance_info: '{}', status: '1', failure_message: '' }
    t.equal((await c.api('POST', '/api/lambda_instances/', body)).status, 202)
  }
  const { page, problems, snap } = await openConsole(t, c.url)
  // The token field has the focus; Enter signs in.
  await page.keyboard.type(c.token)
  await page.keyboard.press('Enter')
  await page.getByText('12 lambda instances', { exact: true }).waitFor()
  t.equal(await page.getByRole('row').count(), 11, 'a header and ten instances')
  t.ok(await page.getByText('Page 1 of 2').isVisible())
  t.ok(await page.getByRole('cell', { name: 'STOPPED' }).first().isVisible(), 'the status in words')
  await snap('page-1')

  // Tab through the page to the next page's link; Enter follows it.
  const next = page.getByRole('link', { name: 'Next page' })
  for (let i = 0; i < 40 && !(await next.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await page.getByText('Page 2 of 2').waitFor()
  t.same(await page.getByRole('link', { name: /^registered/ }).allTextContents(), ['registered 11', 'registered 12'])
  await snap('page-2')
  t.same(unexpected(problems), [])
})
