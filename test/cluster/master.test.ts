import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { DEMO_PROJECT_ID } from '../../src/okeanos/emulator/index.js'
import { FLINK_HOME, InvalidNameError, RUN_SCRIPT, jarPath } from '../../src/cluster/commands.js'
import { MasterCommandError } from '../../src/cluster/errors.js'
import { world } from '../support/master-vm.js'
import { waitUntil } from '../support/wait.js'

// The reactors' view of a master (docs/original.md "Applications"), against the emulator's SSH server: the jar comes from
// Pithos as a stream and goes to /home/flink; start/stop drive supervisord and, for streaming, Flink.

const w = await world(t)
const container = `lambda_applications_test`
await w.ok.pithos.createContainer(container, DEMO_PROJECT_ID)
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)
const inFlinkHome = (id: number) => w.emu.masterFiles(id).filter((f) => f.path.startsWith(`${FLINK_HOME}/`) && !f.path.endsWith('.sh'))

async function storedJar(name: string, bytes: number): Promise<string> {
  const data = randomBytes(bytes)
  await w.ok.pithos.putObjectStream(container, name, [data], { contentType: 'application/java-archive' })
  return createHash('md5').update(data).digest('hex')
}

t.test('deploy, start, stop and withdraw a batch job', async (t) => {
  const master = await w.master()
  const md5 = await storedJar('wordcount.jar', 1024 * 1024 + 17)
  const shell = await w.shell(master.pair.privateKey)

  // deploy: Pithos → master, streamed end to end
  await shell.upload(jarPath('wordcount.jar'), await w.ok.pithos.getObjectStream(container, 'wordcount.jar'))
  t.equal(await shell.exists(jarPath('wordcount.jar')), true)
  t.same(await shell.list(), ['run_batch_job.sh', 'run_streaming_job.sh', 'wordcount.jar'], 'no partial file left')
  t.same(inFlinkHome(master.id), [{ path: '/home/flink/wordcount.jar', bytes: 1024 * 1024 + 17, md5 }])

  // start: JARFILE set in the run script, supervisord job running
  await shell.startJob('batch', 'wordcount.jar')
  t.match(await shell.jobStatus('batch'), { name: 'flink_batch_job', state: 'RUNNING', description: /^pid \d+, uptime 0:00:0\d$/ })
  t.match(w.emu.masterJobs(master.id).batch, { state: 'RUNNING', jar: '/home/flink/wordcount.jar' })
  t.match((await shell.exec(`cat ${RUN_SCRIPT.batch}`)).stdout, /^export JARFILE=\/home\/flink\/wordcount\.jar$/m)
  await shell.startJob('batch', 'wordcount.jar')
  t.pass('starting a started job again is fine (a repeated reactor step)')

  // stop
  t.same(await shell.stopJob('batch'), { cancelled: [] })
  t.match(await shell.jobStatus('batch'), { state: 'STOPPED' })
  await shell.stopJob('batch')
  t.pass('stopping a stopped job again is fine')

  // withdraw
  await shell.remove(jarPath('wordcount.jar'))
  t.equal(await shell.exists(jarPath('wordcount.jar')), false)
  await shell.remove(jarPath('wordcount.jar'))
  t.same(inFlinkHome(master.id), [], 'the master is clean')
  t.match(w.emu.masterJobs(master.id), { batch: { state: 'STOPPED' }, streaming: { state: 'STOPPED' }, flink: [] })
  t.ok(w.emu.sshCommands().every((c) => c.serverId === master.id && c.injected === undefined))
})

t.test('a streaming stop cancels the Flink job named after the execution environment', async (t) => {
  const master = await w.master()
  await storedJar('stream.jar', 1000)
  const shell = await w.shell(master.pair.privateKey)
  await shell.upload(jarPath('stream.jar'), await w.ok.pithos.getObjectStream(container, 'stream.jar'))

  // A job left running by an earlier stop without a name (the original skips the cancel then).
  await shell.startJob('streaming', 'stream.jar', '')
  await shell.stopJob('streaming', '')
  const name = `Word "count" $HOME's`
  await shell.startJob('streaming', 'stream.jar', name)
  const script = (await shell.exec(`cat ${RUN_SCRIPT.streaming}`)).stdout
  t.match(script, /^export JARFILE=\/home\/flink\/stream\.jar$/m)
  t.match(script, /^execution_environment_name="Word \\"count\\" \\\$HOME's"$/m, 'bash-quoted as lineinfile would')
  const before = await shell.flinkJobs()
  t.same(before.map((j) => [j.name, j.state]), [['Flink Streaming Job', 'RUNNING'], [name, 'RUNNING']])

  const { cancelled } = await shell.stopJob('streaming', name)
  t.same(cancelled, [before[1]!.id])
  t.match(await shell.jobStatus('streaming'), { state: 'STOPPED' })
  t.same((await shell.flinkJobs()).map((j) => j.name), ['Flink Streaming Job'], 'only the named job was cancelled')
  t.same((await shell.stopJob('streaming', name)).cancelled, [], 'nothing left to cancel')
})

t.test('starting a job whose jar is missing fails, as supervisord does', async (t) => {
  const master = await w.master()
  const shell = await w.shell(master.pair.privateKey)
  const e = await err(shell.startJob('batch', 'missing.jar'))
  t.ok(e instanceof MasterCommandError)
  t.match(e, { exitCode: 1, stdout: 'flink_batch_job: ERROR (spawn error)\n', transient: false })
  t.match(await shell.jobStatus('batch'), { state: 'FATAL', description: 'Exited too quickly (process log may have details)' })
  t.match(await shell.exec('definitely-not-a-program --now'), { exitCode: 127, stderr: 'bash: definitely-not-a-program: command not found\n' })
  t.match(await shell.exec('ls /nowhere'), { exitCode: 2, stderr: "ls: cannot access '/nowhere': No such file or directory\n" })
  t.match(await shell.exec('cat /etc/passwd | grep root'), { exitCode: 2 })
  t.throws(() => jarPath('../etc/passwd'), InvalidNameError)
  t.throws(() => jarPath('my app.jar'), InvalidNameError)
  await t.rejects(shell.startJob('batch', '$(reboot).jar'), InvalidNameError)
})

t.test('a cut upload leaves nothing behind', async (t) => {
  const master = await w.master()
  const shell = await w.shell(master.pair.privateKey)
  async function* broken() {
    yield randomBytes(512 * 1024)
    throw new Error('Pithos went away')
  }
  t.match(await err(shell.upload(jarPath('cut.jar'), broken())), { message: 'Pithos went away' })
  t.equal(await shell.exists(jarPath('cut.jar')), false, 'never renamed into place')
  t.notOk(w.emu.sshCommands().some((c) => c.serverId === master.id && c.command.startsWith('mv ')), 'no rename was sent')
  t.same(await shell.list(), ['run_batch_job.sh', 'run_streaming_job.sh'], 'the shell still works')
  // A partial file may be left (the discard can race the remote cat, which may still be writing); a withdraw,
  // which comes later, removes it.
  const cutCat = () => w.emu.sshCommands().some((c) => c.serverId === master.id && c.command.startsWith('cat > ') && c.command.includes('.cut.jar.part'))
  await waitUntil('the cut jar being written', cutCat)
  await shell.remove(jarPath('cut.jar'))
  t.same(inFlinkHome(master.id), [])

  // A Pithos download that ends short of its declared size is not published either.
  const short = Object.assign((async function* () {
    yield Buffer.from('only this')
  })(), { size: 100 })
  t.match(await err(shell.upload(jarPath('short.jar'), short)), { message: /incomplete: the source gave 9 of 100 bytes/ })
  t.equal(await shell.exists(jarPath('short.jar')), false)
  t.same(inFlinkHome(master.id), [], 'and its partial file was discarded')
})

t.test('jobs do not survive a reboot, files do; a deleted master takes its files along', async (t) => {
  const master = await w.master()
  await storedJar('keep.jar', 2000)
  const shell = await w.shell(master.pair.privateKey)
  await shell.upload(jarPath('keep.jar'), await w.ok.pithos.getObjectStream(container, 'keep.jar'))
  await shell.startJob('batch', 'keep.jar')
  await shell.close()

  await w.ok.compute.shutdownServer(master.id)
  await w.ok.compute.waitServerUntil(master.id, 'STOPPED', { intervalMs: 5, timeoutMs: 3000 })
  await w.ok.compute.startServer(master.id)
  await w.ok.compute.waitServerUntil(master.id, 'ACTIVE', { intervalMs: 5, timeoutMs: 3000 })
  const again = await w.shell(master.pair.privateKey)
  t.match(await again.jobStatus('batch'), { state: 'STOPPED', description: 'Not started' })
  t.equal(await again.exists(jarPath('keep.jar')), true)
  await again.close()

  const { readdirSync } = await import('node:fs')
  const blobsBefore = readdirSync(w.emu.tempDir).length
  await w.ok.compute.deleteServer(master.id)
  await w.ok.compute.waitServerUntil(master.id, 'DELETED', { intervalMs: 5, timeoutMs: 3000 })
  t.equal(readdirSync(w.emu.tempDir).length, blobsBefore - 1, "the jar's file is freed")
  t.throws(() => w.emu.masterFiles(master.id), /No server/)
})
