import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Gunzip } from 'fflate';
import { InputError, type InputWarning } from '../model/errors.js';
import { openFileSource, type ByteSource } from './byte-source.js';

/** Compressed bytes read at a time. */
const CHUNK = 64 * 1024;

/** gzip's magic (RFC 1952 §2.3.1): how a compressed capture (`eth0.pcap.gz`) is told from a plain one. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A source whose bytes are the decompressed ones when it holds gzip (a capture compressed to be sent), else itself. */
export interface CaptureSource extends ByteSource {
  /** Whether the bytes are decompressed from gzip. */
  readonly gzip: boolean;
}

/**
 * Read `source` decompressed when it starts with gzip's magic, as Wireshark and tshark read `.pcap.gz`, in
 * bounded memory (a chunk at a time; fflate, since node:zlib has no synchronous streaming inflate and the
 * capture readers are synchronous). A stream cut short (a partial download) ends after what it holds, with
 * a `truncated` warning at its compressed offset; a corrupt one is an InputError there, once what came out
 * before the damage has been read. Offsets the capture readers report then count decompressed bytes.
 */
export function captureSource(source: ByteSource, onWarning: (w: InputWarning) => void): CaptureSource {
  const first = new Uint8Array(CHUNK);
  let firstLength = source.read(first, 0, CHUNK);
  if (!isGzip(first.subarray(0, firstLength))) {
    // Plain: the peeked bytes first, then the source.
    let at = 0;
    return {
      name: source.name,
      size: source.size,
      gzip: false,
      read(into, offset, length) {
        if (at < firstLength) {
          const n = Math.min(length, firstLength - at);
          into.set(first.subarray(at, at + n), offset);
          at += n;
          return n;
        }
        return source.read(into, offset, length);
      },
      close: () => source.close(),
    };
  }

  const out: Uint8Array[] = [];
  let outAt = 0;
  let ended = false;
  let compressed = 0;
  let failed: InputError | null = null;
  const inflate = new Gunzip((data) => {
    if (data.length) out.push(data);
  });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      inflate.push(chunk, final);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (final && /unexpected EOF/i.test(why)) {
        onWarning({
          code: 'truncated',
          file: source.name,
          offset: compressed,
          message: `the gzip stream ends early at compressed byte ${compressed} (the file was cut short): the packets before the cut are read`,
        });
        return;
      }
      // What was decompressed before the damage is read first; the error comes after it.
      failed = new InputError('bad-block', source.name, `the gzip stream is corrupt near compressed byte ${compressed}: ${why}`, { offset: compressed });
      ended = true;
    }
  };
  const feed = (): void => {
    // Inflate compressed chunks until some output is ready or the input ends.
    while (out.length === 0 && !ended) {
      let chunk: Uint8Array;
      if (firstLength > 0) {
        chunk = first.subarray(0, firstLength);
        firstLength = 0;
      } else {
        const buf = new Uint8Array(CHUNK);
        const n = source.read(buf, 0, CHUNK);
        if (n === 0) {
          ended = true;
          push(new Uint8Array(0), true);
          return;
        }
        chunk = buf.subarray(0, n);
      }
      compressed += chunk.length;
      push(chunk, false);
    }
  };
  return {
    name: source.name,
    // The decompressed size is known only at the end.
    size: null,
    gzip: true,
    read(into, offset, length) {
      if (out.length === 0) feed();
      if (out.length === 0) {
        if (failed) throw failed;
        return 0;
      }
      const head = out[0]!;
      const n = Math.min(length, head.length - outAt);
      into.set(head.subarray(outAt, outAt + n), offset);
      outAt += n;
      if (outAt === head.length) {
        out.shift();
        outAt = 0;
      }
      return n;
    },
    close: () => source.close(),
  };
}

/**
 * The first `n` bytes of a file as a capture reader sees them (decompressed when it is gzip), fewer when it is
 * shorter: for telling what a file is. `broken`: gzip whose beginning does not decompress (corrupt or cut
 * short), so what it holds cannot be told.
 */
export function captureHead(path: string, n: number): { bytes: Uint8Array; gzip: boolean; broken: boolean } {
  let cut = false;
  const source = captureSource(openFileSource(path), () => {
    cut = true;
  });
  try {
    const head = new Uint8Array(n);
    let have = 0;
    let failed = false;
    try {
      while (have < n) {
        const got = source.read(head, have, n - have);
        if (got === 0) break;
        have += got;
      }
    } catch (e) {
      if (!source.gzip) throw e;
      failed = true;
    }
    return { bytes: head.subarray(0, have), gzip: source.gzip, broken: (failed || cut) && have < n };
  } finally {
    source.close();
  }
}

/**
 * How many bytes reading the file gives: its size, or for gzip the decompressed size its trailer records
 * (ISIZE, RFC 1952 §2.3.1: modulo 2^32, so a larger capture counts at least its compressed size).
 */
export function captureBytes(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(2);
    if (size < 18 || readSync(fd, head, 0, 2, 0) < 2 || !isGzip(head)) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } finally {
    closeSync(fd);
  }
}
