// What the applications slice offers the composition root; what it needs is in services.ts.

export type { ApplicationServices } from './services.js'
export { appRoutes, appUploadRoutes } from './routes/apps.js'
export { statusApplicationRoutes } from './routes/status-family.js'
export { applicationCategory, applicationStream, type ApplicationEvent } from './events.js'
export { applicationStatusAfter } from './status-after.js'
export { applicationStatusView } from './statuses.js'
