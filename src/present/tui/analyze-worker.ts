/**
 * Worker thread: runs the analysis off the UI's event loop so that the progress bar redraws and keys
 * (q) are answered while large captures are read. Messages: progress…, then flows… and done (the Analysis as JSON)
 * or error (enough of the error to rebuild an InputError on the other side).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze } from '../../index.js';
import { isInputError } from '../../model/errors.js';
import type { Flow } from '../../model/analysis.js';
import type { WorkerJob, WorkerMessage, SerializedError } from './worker-protocol.js';

function serialize(e: unknown): SerializedError {
  if (isInputError(e)) return { kind: 'input', code: e.code, file: e.file, offset: e.offset, line: e.line, message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') {
    return { kind: 'fs', code: err.code, path: err.path, message: err.message };
  }
  return { kind: 'internal', message: err?.stack ?? String(e) };
}

/** The flows as JSON arrays of about BATCH characters each. */
function* flowBatches(flows: readonly Flow[]): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  for (const f of flows) {
    const json = JSON.stringify(f);
    batch.push(json);
    size += json.length;
    if (size < BATCH) continue;
    yield `[${batch.join(',')}]`;
    batch = [];
    size = 0;
  }
  if (batch.length) yield `[${batch.join(',')}]`;
}

const BATCH = 4 << 20;

const port = parentPort;
if (port) {
  const job = workerData as WorkerJob;
  const post = (m: WorkerMessage) => port.postMessage(m);
  analyze(job.paths, {
    ...(job.inside !== undefined ? { inside: job.inside } : {}),
    ...(job.outside !== undefined ? { outside: job.outside } : {}),
    onProgress: (p) => post({ type: 'progress', progress: p }),
  }).then(
    (a) => {
      // The flows go a few MB of JSON at a time: a hundred thousand of them make more text than one string holds.
      for (const json of flowBatches(a.flows)) post({ type: 'flows', json });
      post({ type: 'done', json: JSON.stringify({ ...a, flows: [] }) });
    },
    (e: unknown) => post({ type: 'error', error: serialize(e) }),
  );
}
