import t from 'tap'
import pg from 'pg'
import { parsePostgresHosts } from '../../../src/platform/eventlog/postgres-hosts.js'

// A connection string naming several hosts, read as libpq reads it, each host handed to node-postgres alone.

/** What node-postgres makes of each host's connection string. */
function connectionsOf(connectionString: string) {
  return parsePostgresHosts(connectionString).hosts.map((host) => {
    const client = new pg.Client({ connectionString: host.connectionString })
    return { label: host.label, host: client.host, port: client.port, user: client.user, password: client.password, database: client.database }
  })
}

t.test('a host list in the URI, each host with its port', async (t) => {
  t.same(connectionsOf('postgresql://lod:s%40cret@db-1:5432,db-2:5433,[::1]:5434/events'), [
    { label: 'db-1:5432', host: 'db-1', port: 5432, user: 'lod', password: 's@cret', database: 'events' },
    { label: 'db-2:5433', host: 'db-2', port: 5433, user: 'lod', password: 's@cret', database: 'events' },
    { label: '::1:5434', host: '::1', port: 5434, user: 'lod', password: 's@cret', database: 'events' },
  ])
})

t.test('a host without a port has the default one', async (t) => {
  t.same(
    connectionsOf('postgres://lod@db-1,db-2:6543/events').map(({ host, port }) => ({ host, port })),
    [{ host: 'db-1', port: 5432 }, { host: 'db-2', port: 6543 }],
  )
})

t.test('Unix socket dirs, in the host parameter or encoded in the URI', async (t) => {
  const expected = [
    { label: '/tmp/a:5432', host: '/tmp/a', port: 5432, user: 'lod', password: null, database: 'events' },
    { label: '/tmp/b:5433', host: '/tmp/b', port: 5433, user: 'lod', password: null, database: 'events' },
  ]
  t.same(connectionsOf('postgresql://lod@/events?host=/tmp/a,/tmp/b&port=5432,5433'), expected)
  t.same(connectionsOf('postgresql://lod@%2Ftmp%2Fa:5432,%2Ftmp%2Fb:5433/events'), expected)
})

t.test('one port serves every host; a count of ports that matches no host is refused', async (t) => {
  t.same(
    connectionsOf('postgresql://lod@/events?host=/tmp/a,/tmp/b&port=6000').map(({ port }) => port),
    [6000, 6000],
  )
  t.throws(() => parsePostgresHosts('postgresql://lod@/events?host=a,b,c&port=1,2'), /names 3 hosts but 2 ports/)
  t.throws(() => parsePostgresHosts('postgresql://lod@a:x/events'), /a port must be a number, got 'x'/)
})

t.test('key=value settings, quoted values included', async (t) => {
  t.same(connectionsOf(`host=/tmp/a,db-2 port=5432,5433 dbname=events user=lod password='it\\'s a \\\\ secret'`), [
    { label: '/tmp/a:5432', host: '/tmp/a', port: 5432, user: 'lod', password: "it's a \\ secret", database: 'events' },
    { label: 'db-2:5433', host: 'db-2', port: 5433, user: 'lod', password: "it's a \\ secret", database: 'events' },
  ])
  t.throws(() => parsePostgresHosts("host=a password='unterminated"), /neither a postgresql:\/\/ URI nor key=value settings \(at character 17\)/)
})

t.test('the other settings reach every host', async (t) => {
  const [first, second] = parsePostgresHosts('postgresql://lod@a,b/events?application_name=lod-node-1').hosts
  for (const host of [first!, second!]) t.match(new pg.Client({ connectionString: host.connectionString }), { connectionParameters: { application_name: 'lod-node-1' } })
})

t.test('a single host reads as node-postgres reads it', async (t) => {
  t.same(connectionsOf('postgresql://lod@/events?host=%2Ftmp%2Fpg'), [
    { label: '/tmp/pg:5432', host: '/tmp/pg', port: 5432, user: 'lod', password: null, database: 'events' },
  ])
})

t.test('connecting is bounded: 5 s unless connect_timeout says otherwise, in seconds as libpq has it', async (t) => {
  t.equal(parsePostgresHosts('postgresql://lod@a,b/events').connectTimeoutMs, 5000)
  t.equal(parsePostgresHosts('postgresql://lod@a,b/events?connect_timeout=2').connectTimeoutMs, 2000)
  t.equal(parsePostgresHosts('host=a,b connect_timeout=0').connectTimeoutMs, 0, '0: no bound, as in libpq')
  t.throws(() => parsePostgresHosts('postgresql://lod@a/events?connect_timeout=soon'), /connect_timeout must be a whole number of seconds/)
  t.notMatch(parsePostgresHosts('postgresql://lod@a/events?connect_timeout=2').hosts[0]!.connectionString, /connect_timeout/)
})
