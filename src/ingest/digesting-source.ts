import { createHash } from 'node:crypto';
import type { ByteSource } from './byte-source.js';

export interface DigestingSource extends ByteSource {
  /** SHA-256 (hex) and size of everything read, once the source was read to its end; null before that. */
  digest(): { readonly sha256: string; readonly bytes: number } | null;
}

/**
 * A source that hashes the bytes as the reader pulls them, so a capture's SHA-256 costs no second pass
 * over the file. Only a source read to its end has a digest (a reader that stopped early leaves the
 * caller to hash the file itself).
 */
export function digestingSource(inner: ByteSource): DigestingSource {
  const hash = createHash('sha256');
  let bytes = 0;
  let ended = false;
  let result: { sha256: string; bytes: number } | null = null;
  return {
    name: inner.name,
    size: inner.size,
    read(into, offset, length) {
      const n = inner.read(into, offset, length);
      if (n > 0) {
        hash.update(into.subarray(offset, offset + n));
        bytes += n;
      } else if (length > 0) {
        ended = true;
      }
      return n;
    },
    close() {
      inner.close();
    },
    digest() {
      if (!ended) return null;
      if (!result) result = { sha256: hash.digest('hex'), bytes };
      return result;
    },
  };
}
