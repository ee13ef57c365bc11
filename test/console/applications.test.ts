import t from 'tap'
import { startCluster } from '../support/cluster.js'
import { openConsole, signIn } from '../support/browser.js'
import { jar, multipart } from '../support/multipart.js'
import { waitUntil } from '../support/wait.js'

// Applications in the console, in headless Chromium against the service and the ~okeanos emulator: a jar
// uploaded with its progress shown, deployed, started, refused a second batch job with the API's message,
// stopped, withdrawn and deleted.

const expected = /Failed to load resource: the server responded with a status of 409/

t.test('upload a jar with progress, deploy it, start it, stop it, withdraw it, delete it', async (t) => {
  const c = await startCluster(t)
  const instance = await c.create({ instance_name: 'apps host', slaves: 0 })
  await c.waitFor(instance, ['STARTED'])
  // Another batch application, deployed and started through the API: it holds the instance's batch slot.
  const form = multipart({ file: { filename: 'other.jar', content: jar(2048) }, type: 'batch', project_name: 'lambda.grnet.gr' })
  const other = (await c.send('POST', '/api/apps/', form.payload, form.headers)).json.data[0].id as string
  await waitUntil('other.jar UPLOADED', async () => (await c.api('GET', `/api/apps/${other}/`)).json.data[0].status.message === 'UPLOADED')
  await c.api('POST', `/api/apps/${other}/deploy/`, { lambda_instance_id: instance })
  await waitUntil('other.jar deployed', async () => (await c.api('GET', `/api/apps/${instance}/list-deployed/`)).json.data.length === 1)

  const { page, problems, snap } = await openConsole(t, `${c.url}/#/apps`)
  await signIn(page, c.token)
  await page.getByRole('heading', { name: 'Applications', exact: true }).waitFor()
  await page.getByLabel('Jar file').setInputFiles({ name: 'wordcount.jar', mimeType: 'application/java-archive', buffer: jar(8 * 1024 * 1024) })
  await page.getByLabel('Type', { exact: true }).selectOption('batch')
  await page.getByLabel('Description').fill('counts words')
  await page.getByRole('button', { name: 'Upload' }).click()
  await page.getByRole('status').getByText('Your request to upload the specified application has been accepted', { exact: false }).waitFor()
  const progress = page.getByRole('progressbar', { name: 'Upload progress' })
  t.equal(await progress.getAttribute('value'), '100', 'the progress bar moved by the upload progress events, to the end')
  t.match(await page.locator('.progress-text').textContent(), /^100% \(8\.0 MB of 8\.0 MB\)$/)
  await snap('uploaded')
  const row = page.getByRole('row', { name: /wordcount\.jar/ })
  await row.getByText('UPLOADED').waitFor({ timeout: 15_000 })
  await snap('list')

  await page.getByRole('link', { name: 'wordcount.jar' }).click()
  await page.getByRole('heading', { name: 'wordcount.jar' }).waitFor()
  await page.getByLabel('Lambda instance', { exact: true }).selectOption({ label: 'apps host (STARTED)' })
  await page.getByRole('button', { name: 'Deploy' }).click()
  const deployed = page.getByRole('row', { name: /apps host/ })
  await deployed.waitFor({ timeout: 15_000 })
  await snap('deployed')

  await page.getByRole('button', { name: 'Start on apps host' }).click()
  await deployed.getByText('running', { exact: true }).waitFor({ timeout: 15_000 })
  await snap('started')

  // The batch slot is this application's now: the other one is refused, with the API's message.
  await page.goto(`${c.url}/#/apps/${other}`)
  await page.getByRole('heading', { name: 'other.jar' }).waitFor()
  await page.getByRole('button', { name: 'Start on apps host' }).click()
  await page.getByRole('alert').getByText('The batch job on the specified lambda instance has already been started.').waitFor()
  await snap('slot-conflict')
  await page.goBack()
  await page.getByRole('heading', { name: 'wordcount.jar' }).waitFor()

  await page.getByRole('button', { name: 'Stop on apps host' }).click()
  await deployed.getByText('not running', { exact: true }).waitFor({ timeout: 15_000 })
  await page.getByRole('button', { name: 'Withdraw from apps host' }).click()
  await page.getByText('Not deployed on any lambda instance.').waitFor({ timeout: 15_000 })
  await snap('withdrawn')

  await page.getByRole('button', { name: 'Delete application' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
  await page.getByRole('status').getByText(/delete/i).waitFor()
  await waitUntil('wordcount.jar deleted', async () => (await c.api('GET', '/api/apps/count/')).json.data[0].count === 1)
  await page.getByRole('link', { name: '← All applications' }).click()
  await page.getByRole('link', { name: 'other.jar' }).waitFor()
  t.equal(await page.getByRole('link', { name: 'wordcount.jar' }).count(), 0)
  await snap('deleted')
  t.same(problems.filter((p) => !expected.test(p)), [], 'no console errors')
})
