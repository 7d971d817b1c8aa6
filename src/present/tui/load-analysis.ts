/**
 * Where the explorer's analysis comes from: a saved `natlens analyze --format json` file, or a fresh
 * analysis run in a worker thread (compiled beside this module in dist/), or — when running from the
 * TypeScript sources, where there is no compiled worker — in this thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Analysis, AnalyzeProgress, Flow } from '../../model/analysis.js';
import { InputError } from '../../model/errors.js';
import { readText } from '../../ingest/read-text.js';
import { deserializeError, type WorkerJob, type WorkerMessage } from './worker-protocol.js';

export interface LoadOptions {
  readonly inside?: string;
  readonly outside?: string;
}

function defaultWorkerUrl(): URL {
  return new URL('./analyze-worker.js', import.meta.url);
}

export function analyzeInWorker(paths: readonly string[], opts: LoadOptions, onProgress: (p: AnalyzeProgress) => void, signal: AbortSignal, workerUrl: URL = defaultWorkerUrl()): Promise<Analysis> {
  return new Promise<Analysis>((resolve, reject) => {
    const job: WorkerJob = { paths: [...paths], ...opts };
    // The worker's stdout/stderr are not piped to the terminal (they would tear ink's frame); stderr is
    // kept (bounded) to explain a worker that dies.
    const worker = new Worker(workerUrl, { workerData: job, stdout: true, stderr: true });
    let stderr = '';
    worker.stdout.resume();
    worker.stderr.setEncoding('utf8');
    worker.stderr.on('data', (d: string) => {
      if (stderr.length < 16_384) stderr += d;
    });
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new Error('aborted')));
    signal.addEventListener('abort', onAbort);
    const flows: Flow[] = [];
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.progress);
      else if (m.type === 'flows') for (const f of JSON.parse(m.json) as Flow[]) flows.push(f);
      else if (m.type === 'done') finish(() => resolve({ ...(JSON.parse(m.json) as Analysis), flows }));
      else finish(() => reject(deserializeError(m.error)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the analysis worker stopped (exit code ${code})${stderr ? `: ${stderr.trim()}` : ''}`))));
  });
}

/**
 * A single file holding a natlens analysis (`natlens analyze --format json > a.json`) opens directly.
 * Other JSON files (`ip -j addr`) are snapshot files and go through the analysis like any other input.
 */
export function readSavedAnalysis(paths: readonly string[]): Analysis | null {
  if (paths.length !== 1 || !paths[0]!.endsWith('.json')) return null;
  const p = paths[0]!;
  if (!existsSync(p) || !statSync(p).isFile()) return null;
  let text: string;
  try {
    text = readText(p);
  } catch (e) {
    // A saved analysis of a hundred thousand flows is over a GB of JSON: more than one string holds.
    throw new InputError('io', p, `cannot read this analysis as one JSON text (${statSync(p).size.toLocaleString('en')} bytes): ${(e as Error).message}; open the bundle it was made of instead`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as Partial<Analysis> | null;
  if (!o || typeof o !== 'object' || o.tool?.name !== 'natlens') return null;
  if (!Array.isArray(o.flows) || !Array.isArray(o.findings) || !o.summary || !Array.isArray(o.inputs) || !o.capture || !Array.isArray(o.rules)) {
    throw new InputError('parse', p, 'this natlens analysis file lacks flows, findings, summary, inputs, capture or rules (written by another version?)', { line: 1 });
  }
  return o as Analysis;
}

/** Analyse in a worker when the compiled worker exists, else in this thread (tests run the sources). */
export function loadAnalysis(paths: readonly string[], opts: LoadOptions, onProgress: (p: AnalyzeProgress) => void, signal: AbortSignal): Promise<Analysis> {
  const url = defaultWorkerUrl();
  if (existsSync(fileURLToPath(url))) return analyzeInWorker(paths, opts, onProgress, signal, url);
  return import('../../index.js').then(({ analyze }) => analyze(paths, { ...opts, onProgress }));
}
