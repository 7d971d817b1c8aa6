import { Worker } from 'node:worker_threads';
import type { AnalyzeProgress } from '../../model/analysis.js';
import type { JobOutcome, JobRunner, JobSpec } from './job-runner.js';

/** Messages from the worker (analysis-worker.ts) to the scheduler. */
export type WorkerMessage = { readonly type: 'progress'; readonly progress: AnalyzeProgress } | { readonly type: 'outcome'; readonly outcome: JobOutcome };

/** The compiled worker beside this module (dist/present/http/analysis-worker.js). */
export function defaultWorkerUrl(): URL {
  return new URL('./analysis-worker.js', import.meta.url);
}

export interface ThreadRunnerOptions {
  readonly workerUrl?: URL;
  /**
   * V8 heap cap per analysis (MB). A hostile or huge upload that blows it ends that worker with ERR_WORKER_OUT_OF_MEMORY
   * — the analysis fails — instead of taking the whole service down.
   */
  readonly maxHeapMb?: number;
  /** V8 young generation per analysis (MB); V8's default when unset. */
  readonly youngGenerationMb?: number;
}

/**
 * Each analysis runs in a fresh worker thread: off the event loop, so uploads and polling stay responsive; and its
 * memory is returned to the system when the thread exits. Thread start-up (~tens of ms) is nothing next to an analysis.
 */
export function threadJobRunner(options: ThreadRunnerOptions = {}): JobRunner {
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const maxHeapMb = options.maxHeapMb ?? 2048;
  const limits = { maxOldGenerationSizeMb: maxHeapMb, ...(options.youngGenerationMb ? { maxYoungGenerationSizeMb: options.youngGenerationMb } : {}) };
  return (job: JobSpec, signal: AbortSignal, onProgress: (p: AnalyzeProgress) => void) =>
    new Promise<JobOutcome>((resolve, reject) => {
      if (signal.aborted) {
        reject(new DOMException('aborted', 'AbortError'));
        return;
      }
      const worker = new Worker(workerUrl, { workerData: job, resourceLimits: limits, stdout: false, stderr: false });
      let outcome: JobOutcome | null = null;
      let failure: Error | null = null;
      const onAbort = () => void worker.terminate();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') onProgress(m.progress);
        else if (m.type === 'outcome') outcome = m.outcome;
      });
      worker.on('error', (e) => {
        failure = e;
      });
      worker.on('exit', (code) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(new DOMException('aborted', 'AbortError'));
        else if (outcome) resolve(outcome);
        else reject(failure ?? new Error(`worker exited with code ${code} without an outcome`));
      });
    });
}
