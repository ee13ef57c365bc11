// Latency of requests sent one at a time (a keep-alive connection): what one client waits, in ms with µs
// resolution (autocannon counts whole milliseconds).

export interface Latency {
  p50: number
  p99: number
}

export async function sequential(count: number, send: (i: number) => Promise<Response>): Promise<Latency> {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await send(i)
    await response.arrayBuffer()
    if (!response.ok) throw new Error(`request ${i}: ${response.status}`)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!
  return { p50: at(0.5), p99: at(0.99) }
}
