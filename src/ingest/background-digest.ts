import { Worker } from 'node:worker_threads';
import { fileDigest } from './file-digest.js';

export interface FileDigest {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * The hashing thread's code, evaluated as a script so that it runs the same from the compiled dist/ and
 * from the TypeScript sources (tests): it reads each file in 1 MiB chunks (bounded memory) and posts
 * `{path, sha256, bytes}` or `{path, error}` per file, then exits.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const buf = Buffer.allocUnsafe(1 << 20);
for (const path of workerData) {
  try {
    const h = createHash('sha256');
    const fd = openSync(path, 'r');
    let bytes = 0;
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n <= 0) break;
        h.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
    parentPort.postMessage({ path, sha256: h.digest('hex'), bytes });
  } catch (e) {
    parentPort.postMessage({ path, error: String(e && e.message || e) });
  }
}
`;

/**
 * SHA-256 of capture files, computed on another thread while this one reads and correlates them: on a
 * machine with a second core the hash (~0.6 ns a byte) costs the analysis no time. The files are read a
 * second time, from the page cache the reader has just filled. A file the thread could not hash (or a
 * thread that could not start) is hashed here, when its digest is asked for.
 */
export function digestInBackground(paths: readonly string[]): { get(path: string): Promise<FileDigest>; stop(): void } {
  const results = new Map<string, FileDigest>();
  const files = [...new Set(paths)];
  let worker: Worker | null = null;
  let done: Promise<void> = Promise.resolve();
  if (files.length) {
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: files, stdout: false, stderr: false });
      worker = w;
      done = new Promise<void>((resolve) => {
        w.on('message', (m: { path: string; sha256?: string; bytes?: number }) => {
          if (m.sha256 !== undefined && m.bytes !== undefined) results.set(m.path, { sha256: m.sha256, bytes: m.bytes });
        });
        // Errors and exits alike end the wait: whatever is missing is hashed in this thread.
        w.on('error', () => resolve());
        w.on('exit', () => resolve());
      });
    } catch {
      worker = null;
    }
  }
  return {
    async get(path) {
      await done;
      return results.get(path) ?? fileDigest(path);
    },
    stop() {
      void worker?.terminate();
    },
  };
}
