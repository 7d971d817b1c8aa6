/**
 * Worker thread entry (compiled to dist/present/http/analysis-worker.js, found by thread-job-runner.ts through
 * import.meta.url): runs one analysis and posts progress and the outcome to the scheduler.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runAnalysisJob } from './analysis-job.js';
import type { JobSpec } from './job-runner.js';
import type { WorkerMessage } from './thread-job-runner.js';

const post = (m: WorkerMessage): void => parentPort?.postMessage(m);
const outcome = await runAnalysisJob(workerData as JobSpec, (progress) => post({ type: 'progress', progress }));
post({ type: 'outcome', outcome });
