// Who sends a command: the platform authenticates them, the deciders judge what each may do.

/** Who sends a command. A service VM may act only on the instance whose token it holds. */
export type Actor =
  | { kind: 'user'; owner: string }
  | { kind: 'service-vm'; instanceId: string }
  | { kind: 'reactor'; name: string }
