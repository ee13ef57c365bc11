// How the stored shapes of event types changed, oldest first. An entry `n: (vn) => vn+1` upgrades data written
// as version n; the current version of a type is one more than its last entry (1 when it has none). Add an
// entry (and bump nothing else) whenever a schema in events.ts changes shape.

export const eventUpcasters = {
  /** v2 adds `owner_name`, the requester's ~okeanos display name, so the audit can say who asked in words.
   *  Nobody recorded it before: v1 events read as `owner_name: null`. */
  InstanceRequested: {
    1: (v1: Record<string, unknown>) => ({ owner_name: null, ...v1 }),
  },
} as const satisfies Record<string, Record<number, (data: any) => unknown>>
