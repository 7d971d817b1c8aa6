/** Messages between the UI thread and the analysis worker (analyze-worker.ts). */
import type { AnalyzeProgress } from '../../model/analysis.js';
import { InputError, type InputErrorCode } from '../../model/errors.js';

export interface WorkerJob {
  readonly paths: readonly string[];
  readonly inside?: string;
  readonly outside?: string;
}

export type SerializedError =
  | { readonly kind: 'input'; readonly code: InputErrorCode; readonly file: string; readonly offset?: number; readonly line?: number; readonly message: string }
  | { readonly kind: 'fs'; readonly code: string; readonly path: string; readonly message: string }
  | { readonly kind: 'internal'; readonly message: string };

export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: AnalyzeProgress }
  /** Some of the analysis's flows, as a JSON array, in order; sent before `done`. */
  | { readonly type: 'flows'; readonly json: string }
  /** The analysis as JSON, its `flows` empty: they came in the `flows` messages before it. */
  | { readonly type: 'done'; readonly json: string }
  | { readonly type: 'error'; readonly error: SerializedError };

/** Rebuild the error so the CLI reports it exactly as a batch command would (InputError → exit 2). */
export function deserializeError(e: SerializedError): Error {
  switch (e.kind) {
    case 'input': {
      const where: { offset?: number; line?: number } = {};
      if (e.offset !== undefined) where.offset = e.offset;
      if (e.line !== undefined) where.line = e.line;
      return new InputError(e.code, e.file, e.message, where);
    }
    case 'fs':
      return Object.assign(new Error(e.message), { code: e.code, path: e.path });
    case 'internal':
      return new Error(e.message);
  }
}
