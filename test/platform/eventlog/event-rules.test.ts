import t from 'tap'
import { randomUUID } from 'node:crypto'
import { EventSchemaError, type NewEvent } from '../../../src/platform/eventlog/port.js'
import { lod, serviceWithData } from '../../support/lod.js'
import { createBody, requestedBy } from '../../support/harness.js'
import { instanceStream } from '../../../src/instances/events.js'

// The service's log refuses what `lod verify` would report as undecodable, so that nothing can poison it for good.

const newEvent = (type: string, data: unknown): NewEvent => ({ id: randomUUID(), type, data, metadata: { actor: 'test' } })

t.test("the service's log refuses events that break their type's schema, and verify stays ok", async (t) => {
  const h = await serviceWithData(t)
  const id = randomUUID()
  const stream = instanceStream(id)
  await h.given(id, requestedBy(h.alice.id))
  const before = await h.service.log.headPosition()

  const refused = [
    newEvent('AppDeployRequested', { app_id: randomUUID(), name: 'x.jar', type: '', container: '' }),
    newEvent('InstanceStatusChanged', { status: '99', failure_message: '', source: 'reactor' }),
    newEvent('InstanceStatusChanged', { status: '0' }),
    newEvent('InstanceExploded', {}),
    { ...newEvent('InstanceRequested', { owner: 'x' }), typeVersion: 7 },
  ]
  for (const event of refused) {
    const error = await h.service.log.append(stream, [event], 'any').then(() => undefined, (e: unknown) => e)
    t.type(error, EventSchemaError, event.type)
  }
  t.match(
    await h.service.log.append(stream, refused.slice(0, 1), 'any').catch((e: Error) => e.message),
    /^refused to append AppDeployRequested to instance-.*: data does not match the schema \(\/type /,
  )
  t.equal(await h.service.log.headPosition(), before, 'nothing was appended')

  // An old version is checked in the shape it is read in: a v1 InstanceRequested has no owner_name, and is fine.
  const v1 = { owner: h.alice.id, name: 'old', instance_info: { ...createBody, instance_name: 'old' } }
  await h.service.log.append(instanceStream(randomUUID()), [{ ...newEvent('InstanceRequested', v1), typeVersion: 1 }], 'no_stream')
  await h.service.log.append(stream, [newEvent('InstanceStatusChanged', { status: '10', failure_message: '', source: 'reactor' })], 'any')

  const run = await lod(['verify', '-d', h.dataDir])
  t.equal(run.code, 0, run.out)
  t.match(run.lines[0], /^ok {4}event log: 3 events in 2 streams/)
})
