import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fileDigest } from './file-digest.js';
import { workerExecArgv } from './worker-options.js';

export interface FileDigest {
  readonly sha256: string;
  readonly bytes: number;
}

/** The hashing thread, compiled beside this module in dist/; from the TypeScript sources (tests) there is none. */
function workerUrl(): URL | null {
  const url = new URL('./digest-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * SHA-256 of capture files, computed on another thread while this one reads and correlates them: on a
 * machine with a second core the hash (~0.6 ns a byte) costs the analysis no time. The files are read a
 * second time, from the page cache the reader has just filled. A file the thread could not hash (or a
 * thread that could not start, or none compiled, as when running from the TypeScript sources) is hashed
 * here, when its digest is asked for.
 */
export function digestInBackground(paths: readonly string[]): { get(path: string): Promise<FileDigest>; stop(): void } {
  const results = new Map<string, FileDigest>();
  const files = [...new Set(paths)];
  let worker: Worker | null = null;
  let done: Promise<void> = Promise.resolve();
  const url = files.length ? workerUrl() : null;
  if (url) {
    try {
      const w = new Worker(url, { workerData: files, stdout: false, stderr: false, execArgv: workerExecArgv() });
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
