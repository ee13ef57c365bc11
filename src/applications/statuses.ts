import { Type } from 'typebox'
import { statusView, type StatusView } from '../platform/status-view.js'

// The application statuses of the original service (docs/original.md "Statuses"). Codes are strings on the wire and in events.

export const applicationStatuses = {
  '0': { name: 'UPLOADED', detail: 'Application has been successfully uploaded' },
  '1': { name: 'UPLOADING', detail: 'Application is being uploaded' },
  '2': { name: 'FAILED', detail: 'Application upload has failed' },
} as const

export type ApplicationStatusCode = keyof typeof applicationStatuses
export type ApplicationStatusName = (typeof applicationStatuses)[ApplicationStatusCode]['name']
export const applicationStatusCodes = Object.keys(applicationStatuses) as ApplicationStatusCode[]

/** The schema of a status code in the status family's bodies. */
export const ApplicationStatusCode = Type.Unsafe<ApplicationStatusCode>({ type: 'string', enum: applicationStatusCodes })

export const ApplicationStatus = Object.fromEntries(
  Object.entries(applicationStatuses).map(([code, { name }]) => [name, code]),
) as { readonly [N in ApplicationStatusName]: ApplicationStatusCode }

export function applicationStatusView(code: ApplicationStatusCode, failureMessage: string): StatusView {
  return statusView(code, applicationStatuses[code], failureMessage)
}
