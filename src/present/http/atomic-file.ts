import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { encodedBatches } from '../analysis-json.js';

/**
 * Write a file so a reader (or a restart after a crash) sees either the old content or the new one, never half:
 * write a temporary file in the same directory, fsync it, then rename(2) over the target, which POSIX makes atomic
 * within one file system. `data` may come in pieces (an analysis's JSON, a flow at a time), written a MB at a time.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array | Iterable<string>): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
    else for (const b of encodedBatches(data)) await fh.writeFile(b);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
