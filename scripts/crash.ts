import { describe, runCrashTest } from './crash/run.js'

// `npm run test:crash`: the crash test at a size of your choosing (CI runs a small one in test/crash/).
// CRASH_COMMANDS (default 2000), CRASH_KILLS (default 20), CRASH_SEED (default 1), CRASH_CONCURRENCY (default 8),
// CRASH_UP_MS (time under load before each kill, "min-max", default 200-1500), CRASH_REACTORS=on (default off).

const [min, max] = (process.env.CRASH_UP_MS ?? '200-1500').split('-').map(Number)
const report = await runCrashTest({
  commands: Number(process.env.CRASH_COMMANDS ?? 2000),
  kills: Number(process.env.CRASH_KILLS ?? 20),
  seed: Number(process.env.CRASH_SEED ?? 1),
  concurrency: Number(process.env.CRASH_CONCURRENCY ?? 8),
  upMs: [min!, max!],
  reactors: process.env.CRASH_REACTORS === 'on',
  progress: (line) => console.log(line),
})
for (const line of describe(report)) console.log(line)
const failed = report.lost.length + report.duplicated.length + report.refusedButStored.length + report.readModelDifferences.length
process.exitCode = failed === 0 ? 0 : 1
