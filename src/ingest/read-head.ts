import { closeSync, openSync, readSync } from 'node:fs';

/** The first `n` bytes of a file (fewer when it is shorter), for sniffing what it is. */
export function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
