import t from 'tap'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { jarPath, RUN_SCRIPT } from '../../src/cluster/commands.js'
import { MasterCommandError, MasterConnectionError } from '../../src/cluster/errors.js'
import { MasterShell } from '../../src/cluster/master.js'
import { generateClusterKeyPair } from '../../src/instances/jobs/ssh-key.js'
import { world } from '../support/master-vm.js'

// Who gets in (the key of an ACTIVE master's authorized_keys, nobody else), and injected failures: a
// failed command changes nothing on the VM and is recorded.

const w = await world(t)
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)

t.test('only a key in an ACTIVE master authorized_keys gets in, and it picks that master', async (t) => {
  const master = await w.master()
  // A slave carries the same authorized_keys (provisioning.ts): the master is the one reached.
  const slave = await w.master({ role: 'slave', pair: master.pair })
  const shell = await w.shell(master.pair.privateKey)
  await shell.upload(jarPath('here.jar'), [Buffer.from('jar')])
  t.ok(w.emu.masterFiles(master.id).some((f) => f.path === '/home/flink/here.jar'))
  t.notOk(w.emu.masterFiles(slave.id).some((f) => f.path === '/home/flink/here.jar'))

  const stranger = generateClusterKeyPair()
  const refused = await err(MasterShell.connect({ host: '127.0.0.1', port: w.emu.sshPort, privateKey: stranger.privateKey }))
  t.ok(refused instanceof MasterConnectionError)
  t.match(refused, { reason: 'auth', transient: false })
  t.notMatch(String((refused as Error).message), /PRIVATE KEY/, 'the key is never in a message')

  const asOther = await err(MasterShell.connect({ host: '127.0.0.1', port: w.emu.sshPort, privateKey: master.pair.privateKey, username: 'flink' }))
  t.match(asOther, { reason: 'auth' }, 'root only')

  // A stopped master does not answer for its key.
  await w.ok.compute.shutdownServer(master.id)
  await w.ok.compute.waitServerUntil(slave.id, 'ACTIVE', { intervalMs: 5, timeoutMs: 3000 })
  await w.ok.compute.waitServerUntil(master.id, 'STOPPED', { intervalMs: 5, timeoutMs: 3000 })
  const toSlave = await w.shell(master.pair.privateKey)
  await toSlave.upload(jarPath('slave.jar'), [Buffer.from('s')])
  t.ok(w.emu.masterFiles(slave.id).some((f) => f.path === '/home/flink/slave.jar'), 'with the master down, the slave is the only match')
  await w.ok.compute.shutdownServer(slave.id)
  await w.ok.compute.waitServerUntil(slave.id, 'STOPPED', { intervalMs: 5, timeoutMs: 3000 })
  t.match(await err(MasterShell.connect({ host: '127.0.0.1', port: w.emu.sshPort, privateKey: master.pair.privateKey })), { reason: 'auth' })
  t.match(await err(shell.exists(jarPath('here.jar'))), { name: 'MasterConnectionError', transient: true }, 'an open connection to a VM that went down drops')
})

t.test('connection failures are transient MasterConnectionErrors', async (t) => {
  const { privateKey } = generateClusterKeyPair()
  const closed = createServer()
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((r) => closed.close(() => r()))
  t.match(await err(MasterShell.connect({ host: '127.0.0.1', port, privateKey })), { name: 'MasterConnectionError', reason: 'network', transient: true })

  // Something that accepts TCP but never speaks SSH.
  const silent = createServer((socket) => socket.resume())
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => silent.close(() => r())))
  const slow = await err(MasterShell.connect({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port, privateKey, connectTimeoutMs: 200 }))
  t.match(slow, { reason: 'timeout', transient: true })
  await t.rejects(MasterShell.connect({ host: '127.0.0.1', port, privateKey: 'not a key' }), /Cannot parse privateKey/)
})

t.test('an injected failure answers instead of the VM, which stays as it was', async (t) => {
  const master = await w.master()
  const shell = await w.shell(master.pair.privateKey)
  await shell.upload(jarPath('app.jar'), [Buffer.from('PK app')])
  const before = { files: w.emu.masterFiles(master.id), jobs: w.emu.masterJobs(master.id) }

  const id = w.emu.failSshCommand({ pattern: /supervisorctl start flink_batch_job/, exitCode: 7, stderr: 'unix:///var/run/supervisor.sock refused connection\n' })
  const e = await err(shell.startJob('batch', 'app.jar'))
  t.ok(e instanceof MasterCommandError)
  t.match(e, { exitCode: 7, stderr: 'unix:///var/run/supervisor.sock refused connection\n', command: /^sed -i .* && supervisorctl start flink_batch_job$/ })
  t.same({ files: w.emu.masterFiles(master.id), jobs: w.emu.masterJobs(master.id) }, before, 'run script and jobs untouched')
  t.match(w.emu.sshCommands().at(-1), { serverId: master.id, exitCode: 7, injected: id })
  await shell.startJob('batch', 'app.jar')
  t.match(await shell.jobStatus('batch'), { state: 'RUNNING' }, 'times defaults to 1')

  // An upload refused before any byte is read: the source is not left hanging, nothing is written.
  w.emu.failSshCommand({ pattern: '^cat > ', stderr: 'No space left on device\n' })
  const filesBefore = w.emu.masterFiles(master.id)
  t.match(await err(shell.upload(jarPath('other.jar'), [Buffer.alloc(1 << 20)])), { exitCode: 1, stderr: 'No space left on device\n' })
  t.same(w.emu.masterFiles(master.id), filesBefore)
  t.notOk(await shell.exists(jarPath('other.jar')))
})

t.test('the admin API: ssh failures, commands and masters in the state', async (t) => {
  const master = await w.master()
  const shell = await w.shell(master.pair.privateKey)
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${w.emu.url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    })
    return { status: res.status, json: (await res.json()) as any }
  }
  const added = await admin('POST', '/ssh/failures', { pattern: '^rm -f ', times: 2, exitCode: 1, serverId: master.id })
  t.equal(added.status, 200)
  t.match((await admin('GET', '/ssh/failures')).json, [{ id: added.json.id, pattern: '^rm -f ', remaining: 2, serverId: master.id }])
  t.match(await err(shell.remove(jarPath('x.jar'))), { exitCode: 1 })
  t.match(await err(shell.remove(jarPath('x.jar'))), { exitCode: 1 })
  await shell.remove(jarPath('x.jar'))
  t.same((await admin('GET', '/ssh/failures')).json, [])

  await admin('POST', '/ssh/failures', { pattern: 'flink', times: 0 })
  t.match(await err(shell.flinkJobs()), { exitCode: 1 })
  t.match(await err(shell.flinkJobs()), { exitCode: 1 }, 'times 0: until cleared')
  await admin('DELETE', '/ssh/failures')
  t.same(await shell.flinkJobs(), [])
  t.match(await admin('POST', '/ssh/failures', { times: 1 }), { status: 400, json: { error: /pattern/ } })

  const state = (await admin('GET', '/state')).json
  t.match(state.masters.find((m: { serverId: number }) => m.serverId === master.id), {
    files: [{ path: RUN_SCRIPT.batch }, { path: RUN_SCRIPT.streaming }, { path: '/root/.ssh/authorized_keys' }, { path: '/root/.ssh/id_rsa' }, { path: '/root/.ssh/id_rsa.pub' }],
    jobs: { batch: { state: 'STOPPED' }, streaming: { state: 'STOPPED' }, flink: [] },
  })
  t.notMatch(JSON.stringify(state), /PRIVATE KEY/, 'no file contents in the state')
  t.match(state.sshCommands.at(-1), { serverId: master.id, command: '/usr/local/flink/bin/flink list -r', exitCode: 0 })
  t.match((await admin('GET', `/masters/${master.id}`)).json, { serverId: master.id, jobs: { batch: { name: 'flink_batch_job' } } })
  t.match((await admin('GET', '/masters/1')).json, { error: 'No server 1' })
  t.ok((await admin('GET', '/ssh/commands')).json.commands.length > 0)
})
