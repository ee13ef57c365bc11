// The entry of fillTables' workers (fill.ts): a worker thread does not inherit a tsx registered by register()
// (bin/lod.js), so it registers its own before loading the TypeScript.
import { register } from 'tsx/esm/api'

register()
await import('./fill-worker.ts')
