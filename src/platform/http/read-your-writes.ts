import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from 'fastify'
import { HttpError } from './envelope.js'

// Read-your-writes on every node (docs/api.md "Consistency"). Each node answers its GETs from read models of its
// own, which follow the shared log a few milliseconds behind the commits of other nodes. So a command's reply
// says, in `LoD-Position`, where in the log its events are, and a GET of a read model waits until this node's
// read models have reached the position the client sends back in the same header, or without one the log's
// head as this node knows it. Bounded: past the wait, a 503 with Retry-After.
//
// A position beyond the log's head was never given by this service (a client's mistake, or another cluster's
// position): it would never be reached, so it is a 400 at once rather than a 503 after the wait.

/** The header of a command's reply and of a GET that wants to see that command's events. */
export const positionHeader = 'LoD-Position'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers from this node's read models: it waits until they are recent enough. */
    readsReadModels?: boolean
  }
}

export interface ReadModelProgress {
  /** The log's head as this node knows it, which a GET naming no position waits for: a number when knowing it
   *  costs nothing (on SQLite, the newest commit this process heard of: it acknowledged every commit a client
   *  was told of), a promise when the log must be asked (PostgreSQL, where other nodes commit too). */
  knownHead(): number | Promise<number>
  /** The log's head, asked of the log itself: a position beyond it was never given. */
  logHead(): Promise<number>
  /** The position every read model of this node has reached. */
  appliedPosition(): number
  /** Resolves true once every read model has reached `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>
}

export const readWaitMessages = {
  malformed: 'LoD-Position must be a position in the event log: an integer ≥ 0.',
  beyondHead: (position: number, head: number) =>
    `LoD-Position ${position} is beyond the event log's head (${head}): it was not given by this service.`,
  behind: 'The read models have not caught up with the event log yet; try again.',
}

const positionPattern = /^[0-9]{1,15}$/

export interface ReadYourWritesOptions {
  progress: ReadModelProgress
  /** How long a GET waits before its 503. */
  waitMs: number
}

/** Adds the wait to every route whose config says `readsReadModels`; call before those routes are registered. */
export function installReadYourWrites(app: FastifyInstance, { progress, waitMs }: ReadYourWritesOptions): void {
  const behind = () => new HttpError(503, readWaitMessages.behind, { 'retry-after': '1' })

  /** Goes on once the read models reach `position`. */
  const answerAt = (position: number, done: HookHandlerDoneFunction) => {
    if (position <= progress.appliedPosition()) return done()
    progress.waitFor(position, waitMs).then((reached) => done(reached ? undefined : behind()), done)
  }

  // Callback-style, like the auth hooks: a node whose read models are up to date (on SQLite with one process
  // writing, always) answers in the same turn of the event loop.
  const awaitReadModels: preHandlerHookHandler = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const header = request.headers['lod-position']
    if (header === undefined) {
      const head = progress.knownHead()
      if (typeof head === 'number') return answerAt(head, done)
      return void head.then((known) => answerAt(known, done), done)
    }
    if (typeof header !== 'string' || !positionPattern.test(header)) return done(new HttpError(400, readWaitMessages.malformed))
    const wanted = Number(header)
    if (wanted <= progress.appliedPosition()) return done()
    progress.logHead().then((head) => {
      if (wanted > head) return done(new HttpError(400, readWaitMessages.beyondHead(wanted, head)))
      answerAt(wanted, done)
    }, done)
  }

  app.addHook('onRoute', (route) => {
    if (!route.config?.readsReadModels) return
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler]
    route.preHandler = [...own, awaitReadModels]
  })
}
