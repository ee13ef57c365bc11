import t from 'tap'
import { randomUUID } from 'node:crypto'
import { requestedBy, startHarness, statusChanged } from '../../support/harness.js'

// An application known only from the status family (POST /api/lambda_applications/, a usage record) is no jar of
// ours: it cannot be deployed or run, and answers as an unknown application (docs/api.md "Beyond the original").

const appNotFound = "The specified application doesn't exist."
const form = (lambda_instance_id: string) => ({
  payload: `lambda_instance_id=${lambda_instance_id}`,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
})

t.test('a usage record of the status family cannot be deployed, started, withdrawn or stopped', async (t) => {
  const h = await startHarness(t)
  const instance = randomUUID()
  await h.given(instance, requestedBy(h.alice.id), statusChanged('0'))
  const records = [
    // Its name was never checked: as a Pithos path it would reach another user's account with alice's token.
    { uuid: randomUUID(), name: `../../${h.bob.id}/lambda_applications_lambda.grnet.gr/secret.jar`, description: '', status: '0' },
    { uuid: randomUUID(), name: 'plain.jar', description: 'looks like a jar', status: '0' },
  ]
  for (const record of records) {
    const registered = await h.call('POST', '/api/lambda_applications/', { payload: record })
    t.equal(registered.statusCode, 202, registered.body)
  }
  const before = await h.service.log.headPosition()
  for (const { uuid } of records)
    for (const action of ['deploy', 'start', 'withdraw', 'stop']) {
      const res = await h.call('POST', `/api/apps/${uuid}/${action}/`, form(instance))
      t.same([res.statusCode, res.json()], [404, { errors: [{ status: 404, detail: appNotFound }] }], `${action} ${uuid}`)
    }
  t.equal(await h.service.log.headPosition(), before, 'nothing was appended')
  t.same((await h.call('GET', `/api/apps/${instance}/list-deployed/`)).json().data, [])
})
