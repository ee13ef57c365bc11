// What the operations endpoints (/healthz, /readyz, /metrics) read from the running service.

export interface ReadModelPosition {
  name: string
  position: number
}

export interface Operations {
  /** The position of the newest event in the log. */
  headPosition(): number
  /** Where each read model stands, as stored. */
  readModels(): ReadModelPosition[]
  /** False while the read models catch up after a failed batch, or if they do not match this code. */
  readModelsHealthy(): boolean
  /** Reactor jobs by state (queued, running, done, failed…); undefined while the reactors are not running. */
  reactorJobs(): Record<string, number> | undefined
  /** More metrics in the Prometheus text format (the webhook deliveries'), appended to /metrics. */
  moreMetrics?(): Promise<string>
}
