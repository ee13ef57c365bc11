// How a status goes on the wire, for every aggregate that has one.

/** `{code, message, detail[, failure_message]}`, failure_message only when non-empty. */
export interface StatusView {
  code: string
  message: string
  detail: string
  failure_message?: string
}

export function statusView(code: string, { name, detail }: { name: string; detail: string }, failureMessage: string): StatusView {
  return failureMessage ? { code, message: name, detail, failure_message: failureMessage } : { code, message: name, detail }
}
