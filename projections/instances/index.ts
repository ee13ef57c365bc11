// What the instances read model offers the others.

export type { Page } from './queries.js'
