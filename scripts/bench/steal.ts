import { readFileSync } from 'node:fs'

// On a virtual machine, the host can take CPU time from it ("steal"): the benchmarks then run slower, however
// good the code. Each bench prints the steal of its run, so that its numbers can be read for what they are.

/** CPU time so far as [steal, total] in clock ticks, from /proc/stat; undefined where there is none. */
function cpuTicks(): [number, number] | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
    return [fields[7] ?? 0, fields.reduce((a, b) => a + b, 0)]
  } catch {
    return undefined
  }
}

/** Starts measuring; the returned function tells the share of CPU time the host took since, e.g. "steal 3%". */
export function measureSteal(): () => string {
  const before = cpuTicks()
  return () => {
    const after = cpuTicks()
    if (!before || !after || after[1] === before[1]) return 'host CPU steal: unknown'
    const share = (after[0] - before[0]) / (after[1] - before[1])
    return `host CPU steal during the run: ${(share * 100).toFixed(0)}%${share > 0.05 ? ' (the host took CPU from this machine: numbers are low)' : ''}`
  }
}
