import { createGzip, gzipSync } from 'node:zlib';

/**
 * A minimal ustar writer for test archives, including the hostile ones a real tar tool refuses to make
 * (`../` paths, absolute paths, links, devices). Layout per POSIX.1-1988 ustar: 512-byte header, data padded to 512.
 */
export interface TarEntry {
  readonly path: string;
  /** '0' file, '1' hardlink, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO. */
  readonly type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  readonly data?: Uint8Array | string;
  readonly linkpath?: string;
  /** Declared size when it must differ from the data (never used for files we write data for). */
  readonly mode?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(e.path, 0, 100, 'utf8');
  h.write(octal(e.mode ?? (e.type === '5' ? 0o755 : 0o644), 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(1_700_000_000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(e.type ?? '0', 156, 'ascii');
  if (e.linkpath) h.write(e.linkpath, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

export function makeTar(entries: readonly TarEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    out.push(header(e, data.length), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) out.push(Buffer.alloc(pad));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

export function makeTarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(makeTar(entries));
}

/**
 * A decompression bomb: one file whose header declares `size` bytes of zeros, gzip-compressed (~1000:1), built
 * without ever holding `size` bytes in memory.
 */
export async function makeTarBomb(size: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const write = (b: Buffer) => new Promise<void>((resolve) => (gz.write(b) ? resolve() : gz.once('drain', resolve)));
  await write(header({ path: 'zeros.pcap' }, size));
  const mb = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= mb.length) await write(left >= mb.length ? mb : mb.subarray(0, left));
  await write(Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
  gz.end();
  await ended;
  return Buffer.concat(out);
}
