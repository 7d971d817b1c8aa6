import type { AnalysisFailure, AnalysisOptionsIn, AnalysisSummary } from './job-queue.js';
import type { AnalyzeProgress } from '../../model/analysis.js';

/** What a worker needs to run one analysis: everything is in its folder. */
export interface JobSpec {
  readonly id: string;
  /** The analysis folder (absolute): results are written here. */
  readonly dir: string;
  /** The uploads (absolute): `dir/input`. */
  readonly inputDir: string;
  readonly options: AnalysisOptionsIn;
}

export type JobOutcome =
  | { readonly ok: true; readonly summary: AnalysisSummary }
  | { readonly ok: false; readonly error: AnalysisFailure };

/**
 * Runs one analysis to its end. The real one starts a worker thread (thread-job-runner.ts); tests inject fakes.
 * When `signal` aborts (server stopping, analysis deleted) the runner stops the work and rejects with an AbortError.
 */
export type JobRunner = (job: JobSpec, signal: AbortSignal, onProgress: (p: AnalyzeProgress) => void) => Promise<JobOutcome>;
