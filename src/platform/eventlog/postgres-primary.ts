import pg from 'pg'
import { LogUnavailableError } from './port.js'
import type { PostgresHost, PostgresHosts } from './postgres-hosts.js'

// The primary among the hosts a connection string names, and the connections to it. The primary is the host that
// answers `pg_is_in_recovery()` with false; all are asked at once and the first to say so is taken, so a host
// that is down or slow to answer costs nothing while another is the primary.
//
// A query failing the way a lost primary fails (its connection broken, the server shutting down, a host that
// has become read-only) drops the pool, and the next query looks for the primary again: after a failover, the
// standby promoted in its place. The failed query is not retried here: an append may have been committed or not,
// and only its caller can retry it (the same event ids make that a no-op if it was).

export interface PostgresPrimaryOptions {
  types: pg.CustomTypesConfig
  maxConnections: number
  /** How long a query may go unanswered before it fails as a lost primary. */
  queryTimeoutMs: number
  /** Called when an idle connection fails. */
  onConnectionError: (error: unknown) => void
}

/** The primary was lost during a query: what the query did is not known. */
export class PrimaryLostError extends LogUnavailableError {
  constructor(host: string, cause: unknown) {
    super(
      `the connection to the PostgreSQL primary ${host} was lost (${messageOf(cause)}): an append in flight may or may not ` +
        'have been committed; retrying it with the same event ids is safe',
      { cause },
    )
    this.name = 'PrimaryLostError'
  }
}

/** No host answered as the primary (e.g. during a failover, before the standby is promoted). */
export class NoPrimaryError extends LogUnavailableError {
  constructor(reasons: string[]) {
    super(`no PostgreSQL primary among the hosts: ${reasons.join('; ')}`)
    this.name = 'NoPrimaryError'
  }
}

interface Primary {
  host: PostgresHost
  pool: pg.Pool
}

export class PostgresPrimary {
  /** Clients that bound their connecting (a pool's own timeout would bound the wait for a free one too). */
  private readonly Client: typeof pg.Client
  private current: Primary | undefined
  private finding: Promise<Primary> | undefined
  private ended = false

  constructor(
    private readonly hosts: PostgresHosts,
    private readonly options: PostgresPrimaryOptions,
  ) {
    const connectionTimeoutMillis = hosts.connectTimeoutMs
    // A host that keeps the connection but stops answering (stalled, or cut off without a reset) would hold a query,
    // and the request waiting on it, for ever: past the bound the query fails, which drops the pool and sends the
    // next query looking for the primary again. Keepalives let the system find such a connection dead while it is
    // idle (the one that listens, mostly).
    const bounds = { connectionTimeoutMillis, query_timeout: options.queryTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 }
    this.Client = class extends pg.Client {
      constructor(config: pg.ClientConfig) {
        super({ ...config, ...bounds })
      }
    }
  }

  async query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    const primary = await this.primary()
    try {
      return await primary.pool.query<R>(config)
    } catch (error) {
      throw this.failed(primary, error)
    }
  }

  /** The pool of the primary, for what needs a connection for a while (a migration). */
  async pool(): Promise<pg.Pool> {
    return (await this.primary()).pool
  }

  /** A connection of its own to the primary (one that listens). Its loss, too, sends the next query looking. */
  async connect(): Promise<pg.Client> {
    const primary = await this.primary()
    const client = new this.Client(this.configOf(primary.host))
    client.on('error', (error) => this.failed(primary, error))
    try {
      await client.connect()
    } catch (error) {
      throw this.failed(primary, error)
    }
    return client
  }

  async end(): Promise<void> {
    this.ended = true
    await this.finding?.catch(() => undefined)
    const current = this.current
    this.current = undefined
    await current?.pool.end()
  }

  private primary(): Promise<Primary> {
    if (this.ended) return Promise.reject(new Error('the event log is closed'))
    if (this.current) return Promise.resolve(this.current)
    return (this.finding ??= this.find().finally(() => (this.finding = undefined)))
  }

  private async find(): Promise<Primary> {
    let host: PostgresHost
    try {
      host = await Promise.any(this.hosts.hosts.map((candidate) => this.probe(candidate)))
    } catch (error) {
      const reasons = (error as AggregateError).errors
      throw new NoPrimaryError(this.hosts.hosts.map((candidate, i) => `${candidate.label}: ${messageOf(reasons[i])}`))
    }
    const pool = new pg.Pool({ ...this.configOf(host), max: this.options.maxConnections, Client: this.Client })
    const primary = { host, pool }
    // An idle connection that fails is dropped by the pool; unheard, its error would end the process.
    pool.on('error', (error) => {
      this.options.onConnectionError(error)
      this.failed(primary, error)
    })
    this.current = primary
    return primary
  }

  /** Resolves with the host if it is a primary, rejects saying why not. */
  private async probe(host: PostgresHost): Promise<PostgresHost> {
    const client = new this.Client(this.configOf(host))
    client.on('error', () => undefined)
    try {
      await client.connect()
      const { rows } = await client.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery')
      if (rows[0]!.recovery) throw new Error('in recovery (a standby)')
      return host
    } finally {
      void client.end().catch(() => undefined)
    }
  }

  /** The error to throw for `error`, met on `primary`: one that loses it stops its use. */
  private failed(primary: Primary, error: unknown): unknown {
    if (!losesThePrimary(error)) return error
    if (this.current === primary) {
      this.current = undefined
      void primary.pool.end().catch(() => undefined)
    }
    return new PrimaryLostError(primary.host.label, error)
  }

  private configOf(host: PostgresHost): pg.ClientConfig {
    return { connectionString: host.connectionString, types: this.options.types }
  }
}

/** Errors of the connection or of the server's state, not of the query: every error but a statement's own. */
function losesThePrimary(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true
  const code = error.code ?? ''
  // 08: connection exceptions; 57P01-03: the server shuts down or is starting; 25006: read-only (now a standby).
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '25006'].includes(code)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error)
}
