import * as fs from 'node:fs';
import { isatty } from 'node:tty';
import { InputError } from '../model/errors.js';

/**
 * A synchronous stream of bytes: a file or standard input. The capture readers are sync generators
 * (STYLE.md: streaming readers are generators), so the source is sync too; it never holds more than
 * the caller's buffer.
 */
export interface ByteSource {
  /** Path as the user gave it ('-' for stdin). */
  readonly name: string;
  /** Size in bytes when known (regular files), else null. */
  readonly size: number | null;
  /** Read up to `length` bytes into `into` at `offset`; 0 means end of input. */
  read(into: Uint8Array, offset: number, length: number): number;
  close(): void;
}

function ioError(name: string, e: unknown): InputError {
  const err = e as NodeJS.ErrnoException;
  const why = err && typeof err.code === 'string' ? `${err.code}: ${err.message}` : String(e);
  return new InputError('io', name, `cannot read: ${why}`);
}

/** Open a file for reading; a missing or unreadable file is an InputError('io'). */
export function openFileSource(path: string): ByteSource {
  let fd: number;
  let size: number | null;
  try {
    fd = fs.openSync(path, 'r');
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) {
      fs.closeSync(fd);
      throw new InputError('io', path, 'is a directory, not a capture file');
    }
    size = st.isFile() ? st.size : null;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw ioError(path, e);
  }
  let closed = false;
  return {
    name: path,
    size,
    read(into, offset, length) {
      try {
        return fs.readSync(fd, into, offset, length, null);
      } catch (e) {
        throw ioError(path, e);
      }
    },
    close() {
      if (!closed) {
        closed = true;
        fs.closeSync(fd);
      }
    },
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Block the thread for `ms` without spinning (used only while a non-blocking stdin has no data yet). */
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Standard input (`natlens packets -`, fed by `tcpdump -w -`). fd 0 is read with readSync; when the
 * descriptor is non-blocking (a parent, or Node itself once process.stdin was touched, may set
 * O_NONBLOCK on a pipe) readSync throws EAGAIN while the writer has nothing yet: wait briefly and
 * retry instead of treating it as the end.
 */
export function stdinSource(fd = 0): ByteSource {
  // process.stdin is never touched: creating it would put a pipe into non-blocking mode.
  if (isatty(fd)) {
    throw new InputError('usage', '-', 'standard input is a terminal; pipe a capture into it (tcpdump -w - | natlens packets -)');
  }
  return {
    name: '-',
    size: null,
    read(into, offset, length) {
      for (;;) {
        try {
          return fs.readSync(fd, into, offset, length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
            sleepMs(5);
            continue;
          }
          // Windows reports a closed pipe as EOF; a broken pipe on read means the writer is gone.
          if (code === 'EOF' || code === 'EPIPE') return 0;
          throw ioError('-', e);
        }
      }
    },
    close() {
      /* fd 0 belongs to the process */
    },
  };
}

/** A source over bytes already in memory (tests, uploads). */
export function memorySource(name: string, bytes: Uint8Array, maxPerRead = Number.MAX_SAFE_INTEGER): ByteSource {
  let pos = 0;
  return {
    name,
    size: bytes.length,
    read(into, offset, length) {
      const n = Math.min(length, bytes.length - pos, maxPerRead);
      if (n <= 0) return 0;
      into.set(bytes.subarray(pos, pos + n), offset);
      pos += n;
      return n;
    },
    close() {},
  };
}
