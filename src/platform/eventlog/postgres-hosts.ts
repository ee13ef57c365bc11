// The hosts a PostgreSQL connection string names, read the way libpq reads them, since node-postgres reads one host
// only. Both of libpq's forms:
//   postgresql://user@h1:5432,h2:5433/db?connect_timeout=5      a host list in the URI (a socket dir encoded: %2Ftmp%2Fpg)
//   postgresql://user@/db?host=/run/a,/run/b&port=5432,5433     or in its host and port parameters
//   host=h1,h2 port=5432,5433 dbname=db user=user               key=value, values quoted as 'it\'s'
// One port serves every host; otherwise there is one per host. Each host comes back as a connection string of its
// own that node-postgres understands, with everything else the string said (user, password, database, options).
//
// `connect_timeout` (seconds, as libpq has it) bounds each attempt to connect. libpq and node-postgres wait for
// ever by default; here it is 5 s, so that an unreachable host delays finding the primary, never hangs it.

export interface PostgresHost {
  /** The host and port, for messages (no credentials). */
  label: string
  /** A node-postgres connection string naming this host alone. */
  connectionString: string
}

export interface PostgresHosts {
  hosts: PostgresHost[]
  /** How long an attempt to connect may take; 0 for no bound. */
  connectTimeoutMs: number
}

const defaultConnectTimeoutSeconds = 5

/** What both forms say: the URI's parts, with the host and port lists apart. */
interface Parts {
  userInfo: string
  path: string
  hosts: string[]
  ports: string[]
  params: URLSearchParams
}

export function parsePostgresHosts(connectionString: string): PostgresHosts {
  const parts = /^postgres(ql)?:\/\//.test(connectionString) ? uriParts(connectionString) : keywordParts(connectionString)
  const timeout = parts.params.get('connect_timeout') ?? String(defaultConnectTimeoutSeconds)
  parts.params.delete('connect_timeout')
  if (!/^\d+$/.test(timeout)) throw new Error(`connect_timeout must be a whole number of seconds, got '${timeout}'`)
  const hosts = parts.hosts.length > 0 ? parts.hosts : ['']
  if (parts.ports.length > 1 && parts.ports.length !== hosts.length)
    throw new Error(`the connection string names ${hosts.length} hosts but ${parts.ports.length} ports`)
  return {
    hosts: hosts.map((host, i) => hostOf(parts, host, parts.ports.length > 1 ? parts.ports[i]! : (parts.ports[0] ?? ''))),
    connectTimeoutMs: Number(timeout) * 1000,
  }
}

function hostOf({ userInfo, path, params }: Parts, host: string, port: string): PostgresHost {
  if (!/^\d*$/.test(port)) throw new Error(`a port must be a number, got '${port}'`)
  const own = new URLSearchParams(params)
  if (host) own.set('host', host)
  if (port) own.set('port', port)
  const query = own.toString()
  return {
    label: `${host || 'localhost'}:${port || 5432}`,
    connectionString: `postgresql://${userInfo}@${path}${query && `?${query}`}`,
  }
}

const uri = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)([^?#]*)(?:\?([^#]*))?$/

function uriParts(connectionString: string): Parts {
  const match = uri.exec(connectionString)
  if (!match) throw new Error('the connection string is not a postgresql:// URI')
  const [, userInfo = '', hostSpec = '', path = '', query = ''] = match
  const params = new URLSearchParams(query)
  const listed = hostSpec === '' ? [] : hostSpec.split(',').map(hostAndPort)
  const parts: Parts = { userInfo, path: path || '/', hosts: listed.map(([host]) => host), ports: [], params }
  // Ports given with their hosts: a host without one has the default.
  if (listed.some(([, port]) => port !== '')) parts.ports = listed.map(([, port]) => port)
  takeLists(parts)
  return parts
}

/** `host`, `host:port`, `[v6 address]:port`, `%2Fsocket%2Fdir:port`. */
function hostAndPort(spec: string): [string, string] {
  const match = /^(?:\[([^\]]*)\]|([^:]*))(?::(.*))?$/.exec(spec)!
  return [decodeURIComponent(match[1] ?? match[2] ?? ''), match[3] ?? '']
}

/** The host and port parameters, when given, name the hosts instead of the URI's host part. */
function takeLists(parts: Parts): void {
  const hosts = parts.params.get('host')
  const ports = parts.params.get('port')
  parts.params.delete('host')
  parts.params.delete('port')
  if (hosts !== null) parts.hosts = hosts.split(',')
  if (ports !== null) parts.ports = ports.split(',')
}

function keywordParts(connectionString: string): Parts {
  const params = new URLSearchParams()
  const settings = connectionString.trim()
  const setting = /([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))\s*/y
  while (setting.lastIndex < settings.length) {
    const at = setting.lastIndex
    const match = setting.exec(settings)
    // Not quoted: the string may hold a password.
    if (!match) throw new Error(`the connection string is neither a postgresql:// URI nor key=value settings (at character ${at + 1})`)
    const [, key, quoted, bare] = match
    params.set(key!, quoted === undefined ? bare! : quoted.replace(/\\(.)/g, '$1'))
  }
  const take = (key: string) => {
    const value = params.get(key)
    params.delete(key)
    return value === null ? '' : encodeURIComponent(value)
  }
  const user = take('user')
  const password = take('password')
  const parts: Parts = { userInfo: password ? `${user}:${password}` : user, path: `/${take('dbname')}`, hosts: [], ports: [], params }
  takeLists(parts)
  return parts
}
