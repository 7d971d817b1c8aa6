import { LinkType, type CaptureInterface, type CaptureRecord } from '../model/capture.js';
import { InputError } from '../model/errors.js';
import type { BufferedInput } from './buffered-input.js';
import { MAX_RECORD_BYTES } from './limits.js';
import { describeLinkType, isSupportedLinkType } from './link-types.js';
import type { ReaderContext } from './reader-context.js';
import { PCAP_MAGIC } from './sniff-capture-format.js';
import { sll2InterfaceName } from './sll2-interface-name.js';

/** Classic libpcap file header (https://www.tcpdump.org/manpages/pcap-savefile.5.html). */
export interface PcapHeader {
  readonly littleEndian: boolean;
  /** a1b23c4d magic: the sub-second field counts nanoseconds instead of microseconds. */
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linkType: number;
}

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** Reads the 24-byte file header at the input's current position (the caller sniffed the magic). */
export function readPcapHeader(input: BufferedInput, file: string): PcapHeader {
  if (!input.ensure(FILE_HEADER)) {
    throw new InputError('truncated', file, `pcap file header cut short: ${input.available} of ${FILE_HEADER} bytes`, { offset: 0 });
  }
  const dv = input.view;
  const p = input.pos;
  const magic = dv.getUint32(p, true);
  const littleEndian = magic === PCAP_MAGIC.usLittle || magic === PCAP_MAGIC.nsLittle;
  const nanosecond = magic === PCAP_MAGIC.nsLittle || magic === PCAP_MAGIC.nsBig;
  const versionMajor = dv.getUint16(p + 4, littleEndian);
  const versionMinor = dv.getUint16(p + 6, littleEndian);
  if (versionMajor !== 2) {
    throw new InputError('bad-header', file, `unsupported pcap version ${versionMajor}.${versionMinor} (expected 2.x)`, { offset: 4 });
  }
  const snaplen = dv.getUint32(p + 16, littleEndian);
  // The upper bits of the link-type word carry FCS information (pcap-savefile(5)); the type is the low 16.
  const linkType = dv.getUint32(p + 20, littleEndian) & 0xffff;
  input.advance(FILE_HEADER);
  return { littleEndian, nanosecond, versionMajor, versionMinor, snaplen, linkType };
}

export function pcapInterface(header: PcapHeader): CaptureInterface {
  return { id: 0, name: '', linkType: header.linkType, snaplen: header.snaplen, tsresol: header.nanosecond ? '1e-9' : '1e-6' };
}

/**
 * Yields every whole record, reusing `rec`. A record cut short at the end of the file (tcpdump killed
 * mid-write) is a 'truncated' warning after every whole record before it; a record length beyond any
 * sane capture is an InputError — classic pcap has no framing to resynchronise on.
 */
export function* readPcapRecords(
  input: BufferedInput,
  header: PcapHeader,
  ctx: ReaderContext,
  rec: CaptureRecord,
): Generator<CaptureRecord, void, undefined> {
  // Whatever way the generator ends (done, thrown, returned early by the consumer), the file is closed.
  try {
    const { file } = ctx;
    if (!isSupportedLinkType(header.linkType)) {
      ctx.onWarning({
        code: 'unknown-link-type',
        file,
        offset: 20,
        message: `${describeLinkType(header.linkType)} is not supported; the capture's packets are skipped`,
      });
      return;
    }
    const le = header.littleEndian;
    const fracToNs = header.nanosecond ? 1 : 1000;
    const sll2 = header.linkType === LinkType.LINUX_SLL2 ? ctx.interfaceNames : null;
    rec.file = file;
    rec.linkType = header.linkType;
    rec.interfaceId = 0;
    rec.interfaceName = '';
    let frame = 0;
    // The hot loop keeps the window in locals and syncs with `input` only to refill it.
    let buf = input.buf;
    let dv = input.view;
    let pos = input.pos;
    let end = input.end;
    const refill = (need: number): boolean => {
      input.pos = pos;
      const ok = input.ensure(need);
      buf = input.buf;
      dv = input.view;
      pos = input.pos;
      end = input.end;
      return ok;
    };
    for (;;) {
      if (end - pos < RECORD_HEADER && !refill(RECORD_HEADER)) {
        if (end > pos) {
          ctx.onWarning({
            code: 'truncated',
            file,
            offset: input.offset,
            message: `last record header cut short (${end - pos} of ${RECORD_HEADER} bytes); the capture was probably stopped mid-write`,
          });
        }
        return;
      }
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > MAX_RECORD_BYTES) {
        throw new InputError(
          'bad-header',
          file,
          `record ${frame + 1} claims ${caplen} captured bytes (more than ${MAX_RECORD_BYTES}); the file is corrupt from here`,
          { offset: input.offsetOf(pos) },
        );
      }
      if (end - pos < RECORD_HEADER + caplen && !refill(RECORD_HEADER + caplen)) {
        ctx.onWarning({
          code: 'truncated',
          file,
          offset: input.offset,
          message: `last record cut short (${end - pos - RECORD_HEADER} of ${caplen} bytes); the capture was probably stopped mid-write`,
        });
        return;
      }
      frame++;
      rec.frame = frame;
      rec.offset = input.offsetOf(pos);
      const sec = dv.getUint32(pos, le);
      // Writers that overflow the sub-second field are carried rather than producing nsec ≥ 1e9.
      const ns = dv.getUint32(pos + 4, le) * fracToNs;
      if (ns < 1_000_000_000) {
        rec.tsSec = sec;
        rec.tsNsec = ns;
      } else {
        rec.tsSec = sec + Math.floor(ns / 1_000_000_000);
        rec.tsNsec = ns % 1_000_000_000;
      }
      rec.caplen = caplen;
      rec.origLen = dv.getUint32(pos + 12, le);
      // The Uint8Array constructor on the buffer is ~2.5× cheaper than subarray() (no species lookup).
      rec.data = new Uint8Array(buf.buffer, pos + RECORD_HEADER, caplen);
      if (sll2 !== null) rec.interfaceName = sll2InterfaceName(rec.data, sll2);
      pos += RECORD_HEADER + caplen;
      // Keep `input` in step before handing control out: the consumer may stop here for good.
      input.pos = pos;
      yield rec;
    }
  } finally {
    input.source.close();
  }
}
