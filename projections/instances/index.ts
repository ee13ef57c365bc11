// What the instances read model offers the others.

export type { InstanceQueries, Page } from './queries.js'
