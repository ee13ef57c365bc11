/** Everything a route module needs, passed explicitly (no globals, so several emulators can run in one process). */
import type { BlobStore } from './blobs.js'
import type { FaultInjector } from './faults.js'
import type { MasterVms } from './masters.js'
import type { QuotaEngine } from './quota.js'
import type { ServiceVm } from './service-vm.js'
import type { EmulatorState, Scheduler } from './state.js'
import type { BuildControl } from './builds.js'

export interface Ctx {
  state: EmulatorState
  quota: QuotaEngine
  faults: FaultInjector
  scheduler: Scheduler
  builds: BuildControl
  serviceVm: ServiceVm
  /** Pithos object bodies and files uploaded to master VMs, in a temporary directory. */
  blobs: BlobStore
  /** The master VMs behind the emulator's SSH server. */
  masters: MasterVms
}
