import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Pieces of text written in batches of about a MB: a result too large for one string is never made one. */
async function writeBatches(fh: FileHandle, pieces: Iterable<string>): Promise<void> {
  let buf = '';
  for (const p of pieces) {
    buf += p;
    if (buf.length < 1 << 20) continue;
    await fh.write(buf);
    buf = '';
  }
  if (buf) await fh.write(buf);
}

/**
 * Write a file so a reader (or a restart after a crash) sees either the old content or the new one, never half:
 * write a temporary file in the same directory, fsync it, then rename(2) over the target, which POSIX makes atomic
 * within one file system. `data` may come in pieces (an analysis's JSON, a flow at a time).
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array | Iterable<string>): Promise<void> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
    else await writeBatches(fh, data);
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
