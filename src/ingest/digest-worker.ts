/**
 * The hashing thread (background-digest.ts): the SHA-256 of each file it is given, posted one by one as
 * `{path, sha256, bytes}` or `{path, error}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fileDigest } from './file-digest.js';

if (parentPort) {
  for (const path of workerData as string[]) {
    try {
      parentPort.postMessage({ path, ...fileDigest(path) });
    } catch (e) {
      parentPort.postMessage({ path, error: String((e as Error)?.message ?? e) });
    }
  }
}
