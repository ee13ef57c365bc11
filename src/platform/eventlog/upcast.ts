// Schema evolution of stored events. An event keeps forever the version of its type it was written with
// (`type_version`); reading brings it to the current shape by running the upcasters from that version up, one
// step at a time. So the code only ever handles the current shape, and the log is never rewritten.

/** Turns the data of version n of a type into version n + 1. */
export type Upcaster = (data: any) => unknown

/** Per event type, the upcaster of each old version: `{ InstanceRequested: { 1: (v1) => v2 } }`. */
export type UpcasterTable = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>

export interface EventVersions {
  /** The version new events of this type are written with: 1 for a type that never changed. */
  current(type: string): number
  /** The data of an event stored with an older version, in the current shape of its type. A version newer than
   *  the current one is not this code's to read: readers pass it through as stored, and `lod verify` reports it. */
  upcast(type: string, version: number, data: unknown): unknown
}

export class UnknownEventVersionError extends Error {
  constructor(
    readonly type: string,
    readonly version: number,
    readonly current: number,
  ) {
    super(`${type} version ${version} is newer than this code knows (version ${current}): upgrade before reading this log`)
    this.name = 'UnknownEventVersionError'
  }
}

/** Checks that every type's chain has no hole (1 → 2 → … → current) and answers the current versions from it. */
export function eventVersions(table: UpcasterTable): EventVersions {
  const currents = new Map<string, number>()
  for (const [type, steps] of Object.entries(table)) {
    const versions = Object.keys(steps)
      .map(Number)
      .sort((a, b) => a - b)
    versions.forEach((version, i) => {
      if (version !== i + 1) throw new Error(`upcasters of ${type} must cover versions 1 to ${versions.length} without a hole`)
    })
    currents.set(type, versions.length + 1)
  }
  return {
    current: (type) => currents.get(type) ?? 1,
    upcast(type, version, data) {
      const current = currents.get(type) ?? 1
      if (version === current) return data
      if (version > current || version < 1 || !Number.isInteger(version)) throw new UnknownEventVersionError(type, version, current)
      const steps = table[type]!
      let value = data
      for (let v = version; v < current; v++) value = steps[v]!(value)
      return value
    },
  }
}

/** No type has changed yet: what an adapter uses when it is given no upcasters. */
export const unversioned: EventVersions = eventVersions({})
