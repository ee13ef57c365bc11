/** Polls `probe` until it gives a value, anything but undefined or false; after `timeoutMs` fails, saying what it
 *  waited for (`what` may describe it as things stand at that moment). */
export async function waitUntil<T>(what: string | (() => string), probe: () => Promise<T> | T, timeoutMs = 15_000): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
