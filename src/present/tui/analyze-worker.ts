/**
 * Worker thread: runs the analysis off the UI's event loop so that the progress bar redraws and keys
 * (q) are answered while large captures are read. Messages: progress…, then done (the Analysis as JSON)
 * or error (enough of the error to rebuild an InputError on the other side).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze } from '../../index.js';
import { isInputError } from '../../model/errors.js';
import type { WorkerJob, WorkerMessage, SerializedError } from './worker-protocol.js';

function serialize(e: unknown): SerializedError {
  if (isInputError(e)) return { kind: 'input', code: e.code, file: e.file, offset: e.offset, line: e.line, message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') {
    return { kind: 'fs', code: err.code, path: err.path, message: err.message };
  }
  return { kind: 'internal', message: err?.stack ?? String(e) };
}

const port = parentPort;
if (port) {
  const job = workerData as WorkerJob;
  const post = (m: WorkerMessage) => port.postMessage(m);
  analyze(job.paths, {
    ...(job.inside !== undefined ? { inside: job.inside } : {}),
    ...(job.outside !== undefined ? { outside: job.outside } : {}),
    onProgress: (p) => post({ type: 'progress', progress: p }),
  }).then(
    (a) => post({ type: 'done', json: JSON.stringify(a) }),
    (e: unknown) => post({ type: 'error', error: serialize(e) }),
  );
}
