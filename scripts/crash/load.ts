import { setTimeout as sleep } from 'node:timers/promises'
import type { seeded } from '../bench-scale/generate.js'
import { nextCommand, type Command } from './commands.js'
import type { CrashNodes } from './nodes.js'

// The load generator: workers send commands to the nodes that are up, in turn (nodes.ts). A 2xx acknowledges a
// command, a 4xx refuses it; anything else (the node was killed under the request, or a 5xx) leaves it unknown,
// and it is sent again, with the same key and body, until it has a definite answer.

export interface LoadOptions {
  token: string
  /** Commands to send at least; more while the kills go on. */
  commands: number
  concurrency: number
  random: ReturnType<typeof seeded>
}

export class Load {
  readonly acknowledged: Command[] = []
  readonly refused: Array<{ command: Command; status: number }> = []
  /** Sends that ended without an answer (each a retry later). */
  unanswered = 0
  /** Retries answered with the first answer (`Idempotent-Replayed`): the command had been committed. */
  replayed = 0
  private readonly instances: string[] = []
  private readonly retries: Command[] = []
  private issued = 0
  private inFlight = 0

  constructor(
    private readonly nodes: Pick<CrashNodes, 'url'>,
    private readonly options: LoadOptions,
  ) {}

  /** Runs the workers until `enough` commands went out, `stop()` says so, and every command has its answer. */
  async run(stop: () => boolean): Promise<void> {
    const workers = Array.from({ length: this.options.concurrency }, () => this.worker(stop))
    await Promise.all(workers)
  }

  private async worker(stop: () => boolean): Promise<void> {
    for (;;) {
      const command = this.retries.shift() ?? (this.issued < this.options.commands || !stop() ? this.next() : undefined)
      if (!command) {
        if (this.inFlight === 0 && this.retries.length === 0) return
        await sleep(20)
        continue
      }
      this.inFlight++
      try {
        await this.send(command)
      } finally {
        this.inFlight--
      }
    }
  }

  private next(): Command {
    return nextCommand(this.issued++, this.instances, this.options.random)
  }

  private async send(command: Command): Promise<void> {
    const url = await this.nodes.url()
    let response: Response
    let body: string
    try {
      response = await fetch(`${url}${command.path}`, {
        method: command.method,
        headers: {
          authorization: `Token ${this.options.token}`,
          'idempotency-key': command.key,
          ...(command.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(command.body !== undefined && { body: JSON.stringify(command.body) }),
        signal: AbortSignal.timeout(10_000),
      })
      body = await response.text()
    } catch {
      // No answer: killed, or not up yet. Its effect, if any, is in the log; the retry (on another node, if one is
      // up) finds it by its key.
      this.unanswered++
      this.retries.push(command)
      await sleep(10)
      return
    }
    if (response.status >= 500) {
      this.retries.push(command)
      return
    }
    if (response.status >= 400) {
      this.refused.push({ command, status: response.status })
      return
    }
    if (response.headers.get('idempotent-replayed') === 'true') this.replayed++
    this.acknowledged.push(command)
    if (command.kind === 'create') this.instances.push((JSON.parse(body) as { data: Array<{ id: string }> }).data[0]!.id)
  }
}
