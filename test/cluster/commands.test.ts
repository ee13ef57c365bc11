import t from 'tap'
import fc from 'fast-check'
import {
  InvalidNameError,
  ShellSyntaxError,
  bashDoubleQuote,
  bashValue,
  commands,
  isValidJarName,
  jarPath,
  parseCommandLine,
  partialPath,
  shellQuote,
} from '../../src/cluster/commands.js'
import { formatFlinkList, formatSupervisorStatus, parseFlinkList, parseSupervisorStatus } from '../../src/cluster/outputs.js'

// The command lines are a contract between MasterShell and the emulator's master VMs: pin them down.

t.test('the exact command lines', async (t) => {
  t.equal(commands.upload('/home/flink/wc.jar'), "cat > '/home/flink/.wc.jar.part'")
  t.equal(commands.commitUpload('/home/flink/wc.jar'), "mv -f '/home/flink/.wc.jar.part' '/home/flink/wc.jar'")
  t.equal(commands.remove('/home/flink/wc.jar'), "rm -f '/home/flink/wc.jar' '/home/flink/.wc.jar.part'")
  t.equal(commands.exists('/home/flink/wc.jar'), "test -f '/home/flink/wc.jar'")
  t.equal(commands.list('/home/flink'), "ls -1 '/home/flink'")
  t.equal(
    commands.start('batch', 'wc.jar'),
    "sed -i 's|^export JARFILE=.*$|export JARFILE=/home/flink/wc.jar|' '/home/flink/run_batch_job.sh' && supervisorctl start flink_batch_job",
  )
  t.equal(
    commands.start('streaming', 'wc.jar', 'Stream'),
    "sed -i 's|^export JARFILE=.*$|export JARFILE=/home/flink/wc.jar|' '/home/flink/run_streaming_job.sh'" +
      ` && sed -i 's|^execution_environment_name=.*$|execution_environment_name="Stream"|' '/home/flink/run_streaming_job.sh'` +
      ' && supervisorctl start flink_streaming_job',
  )
  t.equal(commands.stop('streaming'), 'supervisorctl stop flink_streaming_job')
  t.equal(commands.status('batch'), 'supervisorctl status flink_batch_job')
  t.equal(commands.flinkList(), '/usr/local/flink/bin/flink list -r')
  t.equal(commands.flinkCancel('0123456789abcdef0123456789abcdef'), '/usr/local/flink/bin/flink cancel 0123456789abcdef0123456789abcdef')
})

t.test('names are validated before they reach a command', async (t) => {
  for (const good of ['application.jar', 'word-count_2.1+scala.jar', 'a']) t.ok(isValidJarName(good), good)
  for (const bad of ['', '.hidden.jar', '../x.jar', 'a/b.jar', 'my app.jar', "it's.jar", '$(id).jar', 'x'.repeat(201)]) {
    t.notOk(isValidJarName(bad), bad)
    t.throws(() => jarPath(bad), InvalidNameError)
  }
  t.throws(() => commands.remove('relative/path'), InvalidNameError)
  t.throws(() => commands.remove('/home/flink/../etc'), InvalidNameError)
  t.throws(() => commands.flinkCancel('; reboot'), InvalidNameError)
  t.throws(() => commands.start('streaming', 'a.jar', 'two\nlines'), InvalidNameError)
  t.equal(partialPath('/home/flink/a.jar'), '/home/flink/.a.jar.part')
})

t.test('the parser reads back what the builders write', async (t) => {
  t.same(parseCommandLine(commands.upload('/home/flink/wc.jar')), [{ argv: ['cat'], stdoutTo: '/home/flink/.wc.jar.part' }])
  t.same(parseCommandLine(commands.remove('/home/flink/wc.jar')), [{ argv: ['rm', '-f', '/home/flink/wc.jar', '/home/flink/.wc.jar.part'] }])
  t.same(
    parseCommandLine(commands.start('batch', 'wc.jar')).map((c) => c.argv),
    [
      ['sed', '-i', 's|^export JARFILE=.*$|export JARFILE=/home/flink/wc.jar|', '/home/flink/run_batch_job.sh'],
      ['supervisorctl', 'start', 'flink_batch_job'],
    ],
  )
  t.same(parseCommandLine(`echo "a \\"b\\" \\$c" d\\ e`), [{ argv: ['echo', 'a "b" $c', 'd e'] }])
  for (const bad of ['a | b', 'a; b', 'a && ', 'echo $(id)', 'echo `id`', "echo 'open", 'a > ', 'echo $HOME', 'a & b']) {
    t.throws(() => parseCommandLine(bad), ShellSyntaxError, bad)
  }
  // Any string survives single quoting, and any environment name survives bash double quoting.
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-composite' }), (s) => {
      fc.pre(!s.includes('\0'))
      const [cmd] = parseCommandLine(`echo ${shellQuote(s)}`)
      return cmd!.argv[1] === s
    }),
  )
  fc.assert(
    fc.property(fc.string(), (s) => {
      fc.pre(!/[\0\n\r]/.test(s))
      return bashValue(bashDoubleQuote(s)) === s
    }),
  )
})

t.test('tool outputs: what the emulator prints, the client reads', async (t) => {
  const line = formatSupervisorStatus({ name: 'flink_batch_job', state: 'RUNNING', description: 'pid 2201, uptime 0:01:02' })
  t.equal(line, 'flink_batch_job                  RUNNING   pid 2201, uptime 0:01:02')
  t.same(parseSupervisorStatus(line + '\n'), { name: 'flink_batch_job', state: 'RUNNING', description: 'pid 2201, uptime 0:01:02' })
  t.equal(parseSupervisorStatus('flink_batch_job: ERROR (no such process)\n'), undefined)

  const jobs = [
    { started: '16.03.2016 12:00:00', id: '7fa2c0b5c1e0d2b06c3d5ab4e5a1bca6', name: 'Stream (v2) : test', state: 'RUNNING' },
    { started: '16.03.2016 12:00:01', id: '00000000000000000000000000000001', name: '', state: 'RESTARTING' },
  ]
  const out = formatFlinkList(jobs)
  t.match(out, /^------------------ Running\/Restarting Jobs -------------------\n16\.03\.2016 12:00:00 : 7fa2c0b5c1e0d2b06c3d5ab4e5a1bca6 : Stream \(v2\) : test \(RUNNING\)\n/)
  // The original takes field 4 of `cut -d" "` as the id: keep that layout.
  t.equal(out.split('\n')[1]!.split(' ')[3], jobs[0]!.id)
  t.same(parseFlinkList(out), jobs)
  t.same(parseFlinkList(formatFlinkList([])), [])
  t.equal(formatFlinkList([]), 'No running jobs.\n')
})
