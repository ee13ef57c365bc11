/** How long each asynchronous ~okeanos transition takes in the emulator (ms). */
export interface EmulatorDelays {
  /** BUILD → ACTIVE (progress rises linearly over this time). */
  build: number
  /** STOPPED → ACTIVE after a start action. */
  start: number
  /** ACTIVE → STOPPED after a shutdown action. */
  stop: number
  reboot: number
  /** DELETE → DELETED. */
  destroy: number
  /** Port BUILD → ACTIVE when attached to a running server. */
  portCreate: number
  /** Port DELETE → gone (404). */
  portDelete: number
  /** Time between two install-stage reports of the service VM. */
  serviceVmStage: number
}

/** Seconds-scale, close to what ~okeanos feels like (a real build takes minutes). */
export const defaultDelays: EmulatorDelays = {
  build: 8_000,
  start: 3_000,
  stop: 3_000,
  reboot: 3_000,
  destroy: 3_000,
  portCreate: 1_500,
  portDelete: 1_500,
  serviceVmStage: 2_000,
}

/** Milliseconds-scale, for tests and `npm start`. */
export const fastDelays: EmulatorDelays = {
  build: 40,
  start: 15,
  stop: 15,
  reboot: 15,
  destroy: 15,
  portCreate: 10,
  portDelete: 10,
  serviceVmStage: 5,
}
