import type { ApplicationEvent, ApplicationType } from './events.js'
import { conflict, notFound } from '../platform/rejection.js'
import type { ApplicationStatusCode } from './statuses.js'

// The application aggregate: a jar uploaded to Pithos (docs/original.md "Applications"). Where it is deployed and
// running is the instances' business (src/instances/deployments.ts).

export interface Application {
  exists: true
  /** A jar uploaded through POST /api/apps/, or a usage record of the status family (no jar of ours behind it). */
  kind: 'jar' | 'usage-record'
  owner: string
  name: string
  projectId: string
  projectName: string
  container: string
  description: string
  type: ApplicationType
  executionEnvironmentName: string
  status: ApplicationStatusCode
  failureMessage: string
  deleting: boolean
  deleted: boolean
  timesStarted: number
}
export type ApplicationState = { exists: false } | Application

export type ApplicationCommand =
  | {
      type: 'RequestUpload'
      id: string
      owner: string
      name: string
      projectId: string
      projectName: string
      description: string
      appType: ApplicationType
      executionEnvironmentName: string
      size: number
    }
  | { type: 'RecordUploaded'; id: string }
  | { type: 'RecordUploadFailed'; id: string; failureMessage: string }
  /** `runningOn`: the names of the owner's instances where the application runs now. */
  | { type: 'RequestDelete'; id: string; owner: string; runningOn: string[] }
  | { type: 'RecordDeleted'; id: string }
  | { type: 'RegisterApplication'; id: string; owner: string; name: string; description: string; status: ApplicationStatusCode; failureMessage: string }
  | { type: 'ChangeApplicationStatus'; id: string; owner: string; status: ApplicationStatusCode; failureMessage: string }
  | { type: 'ChangeTimesStarted'; id: string; owner: string; delta: 1 | -1 }
  /** The status family's DELETE: the record goes at once, as in the original's central service. */
  | { type: 'RemoveApplication'; id: string; owner: string }
  | { type: 'RecordDeleteFailed'; id: string; failureMessage: string }

export const applicationMessages = {
  notFound: "The specified application doesn't exist.",
  alreadyCreated: 'The specified lambda application has already been created.',
  sameStatus: (status: string) => `The specified lambda application status is already ${status}.`,
  counterAtZero: "Can't decrement started times counter for the specified application, the counter is already 0.",
  running: (name: string, instances: string[]) =>
    `Can't delete application ${name} while it is running. Current lambda instances it is running are: ${instances.join(', ')}`,
} as const

/** The original keeps one Pithos container per ~okeanos project. */
export const containerOf = (projectName: string) => `lambda_applications_${projectName}`

export const initialApplicationState = (): ApplicationState => ({ exists: false })

function existing(state: ApplicationState, owner?: string): Application {
  if (!state.exists || state.deleted || (owner !== undefined && state.owner !== owner)) throw notFound(applicationMessages.notFound)
  return state
}

export function decideApplication(command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] {
  switch (command.type) {
    case 'RequestUpload':
      if (state.exists) throw conflict('The specified application has already been created.')
      return [
        {
          type: 'AppUploadRequested',
          data: {
            owner: command.owner,
            name: command.name,
            project_id: command.projectId,
            project_name: command.projectName,
            container: containerOf(command.projectName),
            description: command.description,
            type: command.appType,
            execution_environment_name: command.executionEnvironmentName,
            size: command.size,
          },
        },
      ]
    case 'RecordUploaded':
      return existing(state).status === '1' ? [{ type: 'AppUploaded', data: {} }] : []
    case 'RecordUploadFailed':
      return existing(state).status === '1' ? [{ type: 'AppUploadFailed', data: { failure_message: command.failureMessage } }] : []
    case 'RequestDelete': {
      const app = existing(state, command.owner)
      if (command.runningOn.length > 0) throw conflict(applicationMessages.running(app.name, command.runningOn))
      return app.deleting ? [] : [{ type: 'AppDeleteRequested', data: {} }]
    }
    case 'RecordDeleted':
      return existing(state).deleting ? [{ type: 'AppDeleted', data: {} }] : []
    case 'RegisterApplication':
      if (state.exists) throw conflict(applicationMessages.alreadyCreated)
      return [
        {
          type: 'AppRegistered',
          data: { owner: command.owner, name: command.name, description: command.description, status: command.status, failure_message: command.failureMessage },
        },
      ]
    case 'ChangeApplicationStatus': {
      const app = existing(state, command.owner)
      if (app.status === command.status) throw conflict(applicationMessages.sameStatus(command.status))
      return [{ type: 'AppStatusChanged', data: { status: command.status, failure_message: command.failureMessage } }]
    }
    case 'ChangeTimesStarted': {
      const app = existing(state, command.owner)
      if (command.delta < 0 && app.timesStarted === 0) throw conflict(applicationMessages.counterAtZero)
      return [{ type: 'AppTimesStartedChanged', data: { delta: command.delta } }]
    }
    case 'RemoveApplication':
      existing(state, command.owner)
      return [{ type: 'AppDeleted', data: {} }]
    case 'RecordDeleteFailed':
      return existing(state).deleting ? [{ type: 'AppDeleteFailed', data: { failure_message: command.failureMessage } }] : []
  }
}

export function evolveApplication(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  if (event.type === 'AppUploadRequested') {
    const d = event.data
    return {
      exists: true,
      kind: 'jar',
      owner: d.owner,
      name: d.name,
      projectId: d.project_id,
      projectName: d.project_name,
      container: d.container,
      description: d.description,
      type: d.type,
      executionEnvironmentName: d.execution_environment_name,
      status: '1',
      failureMessage: '',
      deleting: false,
      deleted: false,
      timesStarted: 0,
    }
  }
  if (event.type === 'AppRegistered') {
    const d = event.data
    return {
      exists: true,
      kind: 'usage-record',
      owner: d.owner,
      name: d.name,
      projectId: '',
      projectName: '',
      container: '',
      description: d.description,
      type: 'BATCH',
      executionEnvironmentName: '',
      status: d.status as ApplicationStatusCode,
      failureMessage: d.failure_message,
      deleting: false,
      deleted: false,
      timesStarted: 0,
    }
  }
  if (!state.exists) return state
  switch (event.type) {
    case 'AppUploaded':
      return { ...state, status: '0', failureMessage: '' }
    case 'AppUploadFailed':
      return { ...state, status: '2', failureMessage: event.data.failure_message }
    case 'AppDeleteRequested':
      return { ...state, deleting: true }
    case 'AppDeleted':
      return { ...state, deleting: false, deleted: true }
    case 'AppStatusChanged':
      return { ...state, status: event.data.status as ApplicationStatusCode, failureMessage: event.data.failure_message }
    case 'AppTimesStartedChanged':
      return { ...state, timesStarted: state.timesStarted + event.data.delta }
    case 'AppDeleteFailed':
      // As the original: the record stays, FAILED, with Pithos's message.
      return { ...state, deleting: false, status: '2', failureMessage: event.data.failure_message }
  }
}

export const applicationDecider = {
  decide: decideApplication,
  evolve: evolveApplication,
  initialState: initialApplicationState,
}
