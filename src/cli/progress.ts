import { SingleBar } from 'cli-progress'
import type { Io } from './io.js'

// A progress bar with the rate, for the commands that read the whole log. It draws on stderr only when that is a
// terminal; every command also prints its own summary line, so scripts and logs see the outcome either way.

export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

export function progressBar(io: Io, label: string): Progress {
  const started = performance.now()
  const bar = new SingleBar({
    stream: io.progress,
    format: `${label} |{bar}| {percentage}% {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    fps: 10,
  })
  let running = false
  return {
    update(done, total) {
      const seconds = (performance.now() - started) / 1000
      const rate = seconds > 0 ? Math.round(done / seconds).toLocaleString('en-US') : '-'
      if (!running) {
        bar.start(total, done, { rate })
        running = true
      } else {
        bar.setTotal(total)
        bar.update(done, { rate })
      }
    },
    stop() {
      if (running) bar.stop()
    },
  }
}

/** "1,000,000 events in 3.2 s (312,500 events/s)" */
export function rateLine(events: number, seconds: number): string {
  const rate = seconds > 0 ? Math.round(events / seconds) : events
  return `${events.toLocaleString('en-US')} events in ${seconds.toFixed(2)} s (${rate.toLocaleString('en-US')} events/s)`
}
