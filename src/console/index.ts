// The web console (docs/architecture.md "The web console"): its browser code in ui/, bundled and served by routes.ts.
export { consoleRoutes, contentSecurityPolicy, consoleBundle } from './routes.js'
export { gzippedSize } from './bundle.js'
