// What the instances read model offers the others.

export type { Page } from './projection.js'
