import t from 'tap'
import { Okeanos } from '../../src/okeanos/index.js'
import { startEmulator, demoUsers, fastDelays, DEMO_PROJECT_ID, IMAGES, PUBLIC_NETWORK_ID } from '../../src/okeanos/emulator/index.js'

// Port jobs slow enough to observe BUILD/CONNECTING and the pending DISCONNECT under a loaded test run.
const emu = await startEmulator({ delays: { ...fastDelays, portCreate: 120, portDelete: 120 } })
t.teardown(() => emu.close())
const [alice, bob] = demoUsers()
const a = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
const b = await Okeanos.connect(emu.identityUrl, bob!.token, { backoffMs: 1 })
const fast = { intervalMs: 5, timeoutMs: 3000 }
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e)
const P = DEMO_PROJECT_ID

t.test('the LoD cluster flow: network, subnet, floating IP, servers, then teardown with the 409s', async (t) => {
  // Builds slow enough that "while building" checks hold on a loaded machine.
  emu.setDelays({ build: 400 })
  t.teardown(() => emu.setDelays({ build: fastDelays.build }))
  const net = await a.network.createNetwork({ name: 'lambda-vpn', type: 'MAC_FILTERED', project: P })
  t.match(net, { name: 'lambda-vpn', status: 'ACTIVE', type: 'MAC_FILTERED', tenant_id: P, public: false, subnets: [] })
  t.match(net.id, /^\d+$/, 'network ids are digit strings')

  const subnet = await a.network.createSubnet({ network_id: net.id, cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', enable_dhcp: true })
  t.match(subnet, { network_id: net.id, cidr: '192.168.0.0/24', gateway_ip: '192.168.0.1', allocation_pools: [{ start: '192.168.0.2', end: '192.168.0.254' }] })
  t.match(await err(a.network.createSubnet({ network_id: net.id, cidr: '10.0.0.0/24' })), {
    status: 400,
    okeanosMessage: 'Only one subnet of IPv4/IPv6 per network is allowed',
  })
  t.match(await err(a.network.createSubnet({ network_id: '999999', cidr: '10.0.0.0/24' })), { status: 404 })
  t.same((await a.network.getNetwork(net.id)).subnets, [subnet.id])

  const fip = await a.network.createFloatingIp({ project: P })
  t.match(fip, { floating_network_id: String(PUBLIC_NETWORK_ID), instance_id: null, port_id: null, tenant_id: P })
  t.match(fip.floating_ip_address, /^83\.212\.116\.\d+$/)
  t.same((await a.network.freeFloatingIps()).map((f) => f.id), [fip.id])

  const flavor = (await a.compute.findFlavor(2, 2048, 20))!
  const master = await a.compute.createServer({
    name: 'lambda-master',
    flavorRef: flavor.id,
    imageRef: IMAGES.lodMaster,
    project: P,
    networks: [{ uuid: fip.floating_network_id, fixed_ip: fip.floating_ip_address }, { uuid: net.id }],
  })
  t.same(master.attachments, [], 'no attachments while building')
  const attached = await a.network.getFloatingIp(fip.id)
  t.equal(attached.instance_id, String(master.id), 'floating IP attached at once')
  t.match(attached.port_id, /^\d+$/)

  // The same IP cannot go to a second server; without a free IP the public network is refused.
  t.match(await err(a.compute.createServer({ name: 'x', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ uuid: fip.floating_network_id, fixed_ip: fip.floating_ip_address }] })), {
    status: 409,
    okeanosMessage: `IP address '${fip.floating_ip_address}' is already in use`,
  })
  t.match(await err(a.compute.createServer({ name: 'x', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ uuid: String(PUBLIC_NETWORK_ID) }] })), {
    status: 409,
    okeanosMessage: `Cannot find an unused floating IP to connect server to network '${PUBLIC_NETWORK_ID}'. Please create a floating IP.`,
  })
  t.match(await err(a.compute.createServer({ name: 'x', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ uuid: String(PUBLIC_NETWORK_ID), fixed_ip: '1.2.3.4' }] })), {
    status: 404,
    okeanosMessage: 'Floating IP does not exist.',
  })

  const slave = await a.compute.createServer({ name: 'lambda-node1', flavorRef: flavor.id, imageRef: IMAGES.lodSlave, project: P, networks: [{ uuid: net.id }] })

  // A port cannot be added while the server builds.
  t.match(await err(a.network.createPort({ network_id: net.id, device_id: String(slave.id) })), {
    status: 409,
    faultName: 'buildInProgress',
    okeanosMessage: `Server '${slave.id}' is being built.`,
  })

  const m = await a.compute.waitServerUntil(master.id, ['ACTIVE', 'ERROR'], fast)
  const s = await a.compute.waitServerUntil(slave.id, ['ACTIVE', 'ERROR'], fast)
  t.equal(m.status, 'ACTIVE')
  t.same(m.addresses, {
    [String(PUBLIC_NETWORK_ID)]: [{ version: 4, addr: fip.floating_ip_address, 'OS-EXT-IPS:type': 'floating' }],
    [net.id]: [{ version: 4, addr: '192.168.0.2', 'OS-EXT-IPS:type': 'fixed' }],
  })
  t.equal(typeof m.attachments[0]!.id, 'number', 'attachment port ids are ints')
  t.equal(typeof m.attachments[0]!.network_id, 'string', 'attachment network ids are strings')
  t.same(s.addresses[net.id], [{ version: 4, addr: '192.168.0.3', 'OS-EXT-IPS:type': 'fixed' }], 'private IPs come out in order')

  // Teardown in LoD's order, hitting each 409 on the way.
  t.match(await err(a.network.deleteNetwork(net.id)), {
    status: 409,
    okeanosMessage: `Cannot delete network. There are ports still configured on network network ${net.id}`,
  })
  t.match(await err(a.network.deleteFloatingIp(fip.id)), { status: 409, okeanosMessage: `IP '${fip.id}' is used by server '${master.id}'` })

  const publicPort = (await a.network.getFloatingIp(fip.id)).port_id!
  const before = await a.network.getPort(publicPort)
  t.match(before, { status: 'ACTIVE', device_id: String(master.id), device_owner: 'vm', fixed_ips: [{ ip_address: fip.floating_ip_address }] })
  await a.network.deletePort(publicPort)
  t.equal((await a.network.getPort(publicPort)).status, 'ACTIVE', 'the port keeps its status while the job runs')
  t.match(await err(a.network.deletePort(m.attachments.find((x) => x.network_id === net.id)!.id.toString())), {
    status: 400,
    okeanosMessage: "Cannot perform 'DISCONNECT' action while there is a pending 'DISCONNECT'.",
  }, 'one NIC operation per server at a time')
  await a.network.waitPortGone(publicPort, fast)
  t.match(await err(a.network.getPort(publicPort)), { status: 404, okeanosMessage: `Port '${publicPort}' not found.` })
  const detached = await a.network.getFloatingIp(fip.id)
  t.same([detached.instance_id, detached.port_id], [null, null])

  for (const server of [m, s]) {
    const cur = await a.compute.getServer(server.id)
    for (const att of cur.attachments.filter((x) => Number(x.network_id) === Number(net.id))) {
      await a.network.deletePort(String(att.id))
      await a.network.waitPortGone(String(att.id), fast)
    }
  }
  await a.network.deleteNetwork(net.id)
  const gone = await a.network.getNetwork(net.id)
  t.match(gone, { status: 'DELETED', deleted: true }, 'deleted networks stay readable')
  t.notOk((await a.network.listNetworks()).some((n) => n.id === net.id))
  t.match(await err(a.network.deleteNetwork(net.id)), { status: 400, okeanosMessage: 'Network has been deleted.' })

  await a.network.deleteFloatingIp(fip.id)
  t.match(await err(a.network.getFloatingIp(fip.id)), { status: 404, okeanosMessage: `Floating IP with ID ${fip.id} does not exist.` })
  await a.compute.deleteServer(m.id)
  await a.compute.deleteServer(s.id)
  await a.compute.waitServerUntil(s.id, 'DELETED', fast)
  await a.compute.waitServerUntil(m.id, 'DELETED', fast)
  t.match(emu.usage(P, alice!.id), { 'cyclades.vm': 0, 'cyclades.network.private': 0, 'cyclades.floating_ip': 0, 'cyclades.ram': 0 })
})

t.test('deleting a server detaches its floating IP but keeps it reserved', async (t) => {
  const fip = await a.network.createFloatingIp({ project: P })
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const srv = await a.compute.createServer({ name: 'single', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ uuid: fip.floating_network_id }] })
  t.equal((await a.network.getFloatingIp(fip.id)).instance_id, String(srv.id), 'any free IP of the user is picked')
  await a.compute.waitServerUntil(srv.id, 'ACTIVE', fast)
  await a.compute.deleteServer(srv.id)
  await a.compute.waitServerUntil(srv.id, 'DELETED', fast)
  const after = await a.network.getFloatingIp(fip.id)
  t.same([after.instance_id, after.port_id], [null, null])
  t.match(emu.usage(P, alice!.id), { 'cyclades.floating_ip': 1 }, 'still charged while reserved')
  await a.network.deleteFloatingIp(fip.id)
  t.match(emu.usage(P, alice!.id), { 'cyclades.floating_ip': 0 })
})

t.test('ports: create, attach to a running server, public-network rules', async (t) => {
  const net = await a.network.createNetwork({ name: 'p', project: P })
  await a.network.createSubnet({ network_id: net.id, cidr: '10.1.0.0/29' })
  const loose = await a.network.createPort({ network_id: net.id })
  t.match(loose, { status: 'DOWN', device_id: '', fixed_ips: [{ ip_address: '10.1.0.2' }] })
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const srv = await a.compute.createServer({ name: 'ported', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [] })
  await a.compute.waitServerUntil(srv.id, 'ACTIVE', fast)
  const port = await a.network.createPort({ network_id: net.id, device_id: String(srv.id) })
  t.equal(port.status, 'BUILD')
  t.equal((await a.compute.getServer(srv.id))['SNF:task_state'], 'CONNECTING')
  await a.compute.waitServerUntil(srv.id, 'ACTIVE', fast)
  t.equal((await a.network.getPort(port.id)).status, 'ACTIVE')
  t.same((await a.compute.getServer(srv.id)).addresses[net.id], [{ version: 4, addr: '10.1.0.3', 'OS-EXT-IPS:type': 'fixed' }])

  t.match(await err(a.network.createPort({ network_id: String(PUBLIC_NETWORK_ID), device_id: String(srv.id) })), {
    status: 400,
    okeanosMessage: "'fixed_ips' attribute must contain a floating IP address in order to connect to a public network.",
  })
  // Pool of a /29: .2-.6, two used; fill it.
  for (let i = 0; i < 3; i++) await a.network.createPort({ network_id: net.id })
  t.match(await err(a.network.createPort({ network_id: net.id })), { status: 409, okeanosMessage: `No more IP addresses available on network ${net.id}` })
  t.match(await err(b.network.getPort(port.id)), { status: 404 }, "another user's port")
  t.same((await a.network.listPorts()).filter((p) => p.network_id === net.id).length, 5)
  t.match(await err(fetch(`${emu.url}/network/v2.0/subnets/1`, { method: 'DELETE', headers: { 'x-auth-token': alice!.token } }).then(async (r) => { throw await r.json() })), {
    badRequest: { message: 'Deletion of a subnet is not supported' },
  })
  await a.compute.deleteServer(srv.id)
})

t.test('floating IP pool exhaustion and network type checks', async (t) => {
  emu.setFloatingIpPoolSize(0)
  t.match(await err(b.network.createFloatingIp({ project: P })), { status: 409, okeanosMessage: 'Cannot allocate a floating IP address.' })
  t.match(emu.usage(P, bob!.id), { 'cyclades.floating_ip': 0 }, 'a failed allocation costs nothing')
  emu.setFloatingIpPoolSize(253)
  const ip = await b.network.createFloatingIp({ project: P })
  t.ok(ip.id)
  t.match(await err(b.network.createNetwork({ name: 'x', type: 'PHYSICAL_VLAN', project: P })), { status: 403, okeanosMessage: "Cannot create network of type 'PHYSICAL_VLAN'." })
  t.match(await err(b.network.createNetwork({ name: 'x', type: 'BOGUS' as never, project: P })), { status: 400, okeanosMessage: "Invalid network type 'BOGUS'" })
  const pub = (await b.network.listNetworks()).find((n) => n.public)!
  t.match(pub, { id: String(PUBLIC_NETWORK_ID), 'SNF:floating_ip_pool': true })
  t.match(await err(b.network.deleteNetwork(pub.id)), { status: 403 })
})

t.test('a server can take an existing port', async (t) => {
  const net = await a.network.createNetwork({ name: 'byport', project: P })
  await a.network.createSubnet({ network_id: net.id, cidr: '172.16.0.0/24' })
  const port = await a.network.createPort({ network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.9' }] })
  const flavor = (await a.compute.findFlavor(1, 1024, 10))!
  const srv = await a.compute.createServer({ name: 'byport', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ port: port.id }] })
  t.match(await err(a.compute.createServer({ name: 'byport2', flavorRef: flavor.id, imageRef: IMAGES.debian, project: P, networks: [{ port: port.id }] })), { status: 409 })
  await a.compute.waitServerUntil(srv.id, 'ACTIVE', fast)
  t.match(await a.network.getPort(port.id), { status: 'ACTIVE', device_id: String(srv.id) })
  t.same((await a.compute.getServer(srv.id)).addresses[net.id], [{ version: 4, addr: '172.16.0.9', 'OS-EXT-IPS:type': 'fixed' }])
  await a.compute.deleteServer(srv.id)
  await a.compute.waitServerUntil(srv.id, 'DELETED', fast)
  t.match(await err(a.network.getPort(port.id)), { status: 404 }, 'ports go with their server')
})
