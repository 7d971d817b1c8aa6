import type { ByteSource } from './byte-source.js';
import { MAX_RECORD_BYTES, READ_CHUNK_BYTES } from './limits.js';

/**
 * A sliding window over a ByteSource with bounded memory. Readers ask for the next `n` bytes with
 * `ensure(n)` and read them at `buf[pos..]`; consumed bytes are dropped by `advance`. The buffer is
 * compacted in place and only grows while it is full of real data that a record still needs, so a
 * corrupt length claim costs at most twice the bytes that actually exist, never the claimed amount.
 */
export class BufferedInput {
  /** Always a whole ArrayBuffer (byteOffset 0), so readers may view `buf.buffer` at `pos` directly. */
  buf: Uint8Array;
  view: DataView;
  /** Start of unread data in `buf`. */
  pos = 0;
  /** End of valid data in `buf`. */
  end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;

  constructor(
    readonly source: ByteSource,
    initialSize = READ_CHUNK_BYTES,
    // Room for a record header on top of the largest record.
    readonly cap = MAX_RECORD_BYTES + 4096,
  ) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** File offset of buf[pos] for a position in the current buffer. */
  offsetOf(pos: number): number {
    return this.base + pos;
  }

  /** Bytes taken from the source so far (the file size once the end was reached). */
  get bytesRead(): number {
    return this.base + this.end;
  }

  get available(): number {
    return this.end - this.pos;
  }

  /** True when `n` bytes are available at `pos`; false when the input ends first. `n` ≤ cap. */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    return this.fill(n);
  }

  advance(n: number): void {
    this.pos += n;
  }

  /**
   * Consume `n` bytes without keeping them (skipped blocks may be larger than the buffer).
   * Returns the number actually skipped (less than `n` only at end of input).
   */
  skip(n: number): number {
    const have = this.end - this.pos;
    if (have >= n) {
      this.pos += n;
      return n;
    }
    let skipped = have;
    this.base += this.end;
    this.pos = this.end = 0;
    while (skipped < n && !this.eof) {
      const got = this.source.read(this.buf, 0, this.buf.length);
      if (got === 0) {
        this.eof = true;
        break;
      }
      const use = Math.min(got, n - skipped);
      skipped += use;
      if (use < got) {
        // Keep the bytes after the skipped range at the front of the buffer.
        this.buf.copyWithin(0, use, got);
        this.base += use;
        this.end = got - use;
        return skipped;
      }
      this.base += got;
    }
    return skipped;
  }

  private fill(n: number): boolean {
    if (n > this.cap) throw new RangeError(`BufferedInput: ${n} bytes exceeds the cap of ${this.cap}`);
    if (this.pos + n > this.buf.length && this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end - this.pos < n) {
      if (this.eof) return false;
      if (this.end === this.buf.length) this.grow();
      const got = this.source.read(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  /** Double (up to the cap): only called when the buffer is full of data a record still needs. */
  private grow(): void {
    const next = new Uint8Array(Math.min(this.buf.length * 2, this.cap));
    next.set(this.buf.subarray(0, this.end));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
