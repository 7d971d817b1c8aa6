import type { CaptureFormat, CaptureInterface, CaptureRecord, CaptureStatistics } from '../model/capture.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { BufferedInput } from './buffered-input.js';
import { openFileSource, stdinSource, type ByteSource } from './byte-source.js';
import { captureSource, type CaptureSource } from './gzip-source.js';
import { pcapInterface, readPcapHeader, readPcapRecords } from './pcap-reader.js';
import { readPcapngRecords } from './pcapng-reader.js';
import { ReaderRecord } from './reader-record.js';
import type { ReaderContext } from './reader-context.js';
import { sniffCaptureFormat } from './sniff-capture-format.js';

export interface OpenCaptureOptions {
  /** Called for each problem the reader works around (truncated tail, unsupported link type…). */
  readonly onWarning?: (w: InputWarning) => void;
  /** ifindex → interface name (from `ip addr`), naming the interfaces of LINUX_SLL2 (`-i any`) records. */
  readonly interfaceNames?: ReadonlyMap<number, string>;
  /** Read from this source instead of opening `path` (stdin, memory). */
  readonly source?: ByteSource;
}

export interface OpenCapture {
  readonly path: string;
  readonly format: CaptureFormat;
  /** The file is gzip-compressed (read decompressed; offsets in warnings and errors count decompressed bytes). */
  readonly gzip: boolean;
  /**
   * Interfaces described so far: the one of a classic pcap at once; a pcapng's as its blocks are read
   * (complete once `records()` has been run through).
   */
  readonly interfaces: readonly CaptureInterface[];
  /** pcapng Interface Statistics Blocks read so far (dumpcap writes them at the end): run times and drops. */
  readonly statistics: readonly CaptureStatistics[];
  /**
   * The packet records, once. Each step yields the same object (see CaptureRecord): copy what you keep.
   * The source is closed when the generator finishes, throws or is returned from early.
   */
  records(): Generator<CaptureRecord, void, undefined>;
  /** Bytes read from the file so far (its whole size once records() has been run through). */
  bytesRead(): number;
  /** Release the file without reading further (only needed when records() is never iterated). */
  close(): void;
}


/**
 * Open a capture (`-` = standard input) and read enough to know its format. Throws InputError for a
 * file that is empty, not a capture, or whose header is unusable; everything after the header is
 * read lazily by `records()` with bounded memory.
 */
export function openCapture(path: string, options: OpenCaptureOptions = {}): OpenCapture {
  const ctx: ReaderContext = {
    file: path,
    onWarning: options.onWarning ?? (() => {}),
    interfaceNames: options.interfaceNames ?? null,
  };
  const raw = options.source ?? (path === '-' ? stdinSource() : openFileSource(path));
  let source: CaptureSource;
  try {
    // A compressed capture (eth0.pcap.gz) is read decompressed, as Wireshark reads it.
    source = captureSource(raw, ctx.onWarning);
  } catch (e) {
    raw.close();
    throw e;
  }
  try {
    const input = new BufferedInput(source);
    input.ensure(12);
    if (input.available === 0) throw new InputError('empty-file', path, 'the file is empty', { offset: 0 });
    const format = sniffCaptureFormat(input.buf.subarray(input.pos, input.end));
    if (format === null) {
      throw new InputError('not-a-capture', path, 'not a pcap or pcapng capture (no capture magic number in the first bytes)', { offset: 0 });
    }
    const interfaces: CaptureInterface[] = [];
    const statistics: CaptureStatistics[] = [];
    const rec = new ReaderRecord(path);
    // The format reader closes the source itself when it ends, throws or is returned from early, so
    // records() hands out its iterator directly (no delegating layer on the hot path).
    let body: () => Generator<CaptureRecord, void, undefined>;
    if (format === 'pcapng') {
      body = () => readPcapngRecords(input, ctx, rec, interfaces, statistics);
    } else {
      const header = readPcapHeader(input, path);
      interfaces.push(pcapInterface(header));
      body = () => readPcapRecords(input, header, ctx, rec);
    }
    let started = false;
    return {
      path,
      format,
      gzip: source.gzip,
      interfaces,
      statistics,
      records() {
        if (started) throw new Error(`openCapture(${path}): records() can be iterated only once`);
        started = true;
        return body();
      },
      bytesRead: () => input.bytesRead,
      close() {
        source.close();
      },
    };
  } catch (e) {
    source.close();
    throw e;
  }
}
