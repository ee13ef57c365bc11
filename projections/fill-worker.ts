import { parentPort, workerData } from 'node:worker_threads'
import { fillPartitionFile, type PartitionJob } from './fill.js'

// A worker of fillTables (fill.ts): fills one partition of the streams into a file of its own.

try {
  await fillPartitionFile(workerData as PartitionJob, (position) => parentPort!.postMessage({ position }))
  parentPort!.postMessage({ done: true })
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) })
}
