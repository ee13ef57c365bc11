import t from 'tap'
import { quotaShortfall, type Availability } from '../../../src/instances/jobs/quota.js'
import { createBody } from '../../support/fixtures.js'

// The original's pre-check (docs/original.md "Provisioning"): the first shortfall, in its order and words.

const spec = { ...createBody, slaves: 2, vcpus_master: 4, vcpus_slave: 2, ram_master: 4096, ram_slave: 2048, disk_master: 20, disk_slave: 10 }
const plenty: Availability = { vms: 3, cpus: 8, ramMiB: 8192, diskGiB: 40, floatingIps: 1, privateNetworks: 1 }

t.equal(quotaShortfall(plenty, 0, spec), undefined, 'exactly enough is enough')
const cases: Array<[Partial<Availability>, number, string]> = [
  [{ vms: 2 }, 0, 'Cyclades VMs out of limit'],
  [{ cpus: 7 }, 0, 'Cyclades cpu out of limit'],
  [{ ramMiB: 8191 }, 0, 'Cyclades ram out of limit'],
  [{ diskGiB: 39 }, 0, 'Cyclades disk out of limit'],
  [{ floatingIps: 0 }, 0, 'authorized IPs out of limit'],
  [{ privateNetworks: 0 }, 0, 'Private Network out of limit'],
  [{ vms: 0, privateNetworks: 0 }, 0, 'Cyclades VMs out of limit'],
]
for (const [less, freeIps, message] of cases) t.equal(quotaShortfall({ ...plenty, ...less }, freeIps, spec), message, message)
t.equal(quotaShortfall({ ...plenty, floatingIps: 0 }, 1, spec), undefined, 'an IP the user holds unattached counts')
