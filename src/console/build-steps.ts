// What the server tells the browser code of the statuses, built into the bundle (bundle.ts, `define`): the
// status sets live once, in src/instances/statuses.ts, and the browser code loads neither TypeBox nor the slice.

export interface StatusName {
  code: string
  name: string
}

/** One stage of an instance's build: the status that says it is reached, and the one that says it failed. */
export interface BuildStep {
  reached: StatusName
  failed?: StatusName
}
