import { LinkType, type CaptureInterface, type CaptureRecord } from '../model/capture.js';
import { InputError } from '../model/errors.js';
import type { BufferedInput } from './buffered-input.js';
import { MAX_RECORD_BYTES } from './limits.js';
import { describeLinkType, isSupportedLinkType } from './link-types.js';
import type { ReaderContext } from './reader-context.js';
import { RecordIterator, type ReaderRecord } from './reader-record.js';
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
  /** Bytes of each record's header: 16, but for the old variants below. */
  readonly recordHeader: number;
}

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * Record header lengths of the pcap variants, which Wireshark reads as well: libpcap's own, 16 bytes; Linux's
 * patched libpcaps of 1999, which appended the interface index, protocol and packet type — 24 bytes (Red Hat
 * 6.1's tcpdump, under the usual magic number; others under the "modified" magic a1b2cd34) or 28 (SuSE 6.3's,
 * under the modified magic); Nokia IPSO's tcpdump, 4 bytes of its own (20). The file header tells them apart
 * only in part, by its magic number: the first records are read each way (`impossibleFields`). Under the
 * modified magic the reading with the fewest impossible fields wins, the first listed on a tie; under the
 * usual one, plain pcap, unless it finds some and a variant none — a corrupt plain pcap stays one.
 */
const USUAL_MAGIC_HEADERS = [RECORD_HEADER, 24, 20];
const MODIFIED_MAGIC_HEADERS = [24, 28];
/** How many records, at most, a trial reads, within how many bytes. */
const TRIAL_RECORDS = 4;
const TRIAL_BYTES = 1 << 20;

/** Reads the 24-byte file header at the input's current position (the caller sniffed the magic). */
export function readPcapHeader(input: BufferedInput, file: string): PcapHeader {
  if (!input.ensure(FILE_HEADER)) {
    throw new InputError('truncated', file, `pcap file header cut short: ${input.available} of ${FILE_HEADER} bytes`, { offset: 0 });
  }
  const dv = input.view;
  const p = input.pos;
  const magic = dv.getUint32(p, true);
  const littleEndian = magic === PCAP_MAGIC.usLittle || magic === PCAP_MAGIC.nsLittle || magic === PCAP_MAGIC.modifiedLittle;
  const modified = magic === PCAP_MAGIC.modifiedLittle || magic === PCAP_MAGIC.modifiedBig;
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
  // Only files of version 2.4 were written by the variants; nanosecond files by none of them.
  const candidates = modified ? MODIFIED_MAGIC_HEADERS : !nanosecond && versionMinor === 4 ? USUAL_MAGIC_HEADERS : [RECORD_HEADER];
  const recordHeader = candidates.length === 1 ? candidates[0]! : likeliestRecordHeader(input, candidates, littleEndian, snaplen);
  return { littleEndian, nanosecond, versionMajor, versionMinor, snaplen, linkType, recordHeader };
}

/** The record header length (of `candidates`, the usual one first where it is one) the first records read best with. */
function likeliestRecordHeader(input: BufferedInput, candidates: readonly number[], le: boolean, snaplen: number): number {
  try {
    input.ensure(TRIAL_BYTES);
  } catch {
    // A source that fails this early (a corrupt gzip stream) fails again where the records reach the damage,
    // after the packets before it: the trial reads what came.
  }
  let best = candidates[0]!;
  let fewest = impossibleFields(input, best, le, snaplen);
  const usual = best === RECORD_HEADER;
  for (let k = 1; k < candidates.length && fewest > 0; k++) {
    const n = impossibleFields(input, candidates[k]!, le, snaplen);
    if (usual ? n === 0 : n < fewest) {
      best = candidates[k]!;
      fewest = n;
    }
  }
  return best;
}

/**
 * How many fields of the first records (in the bytes at hand), read with headers of `len` bytes, cannot be what
 * they claim; Infinity when not one whole record fits (no evidence for that reading).
 */
function impossibleFields(input: BufferedInput, len: number, le: boolean, snaplen: number): number {
  const dv = input.view;
  const end = input.end;
  let p = input.pos;
  let bad = 0;
  let n = 0;
  for (; n < TRIAL_RECORDS && end - p >= len; n++) {
    const caplen = dv.getUint32(p + 8, le);
    const origLen = dv.getUint32(p + 12, le);
    if (dv.getUint32(p + 4, le) >= 1_000_000) bad++;
    if (snaplen > 0 && caplen > snaplen) bad++;
    if (caplen > origLen) bad++;
    if (origLen > MAX_RECORD_BYTES) bad++;
    if (len === 24 || len === 28) {
      // The patched headers: interface index, then an EtherType (or a Linux ETH_P_ value below 0x18, or
      // a few old ones), then a Linux packet type (host, broadcast, multicast, other host, outgoing).
      if (dv.getUint32(p + 16, le) > 10_000) bad++;
      const protocol = dv.getUint16(p + 20, le);
      if (!(protocol >= 0x600 || protocol <= 0x17 || protocol === 0x60 || protocol === 0x200 || protocol === 0x400)) bad++;
      if (dv.getUint8(p + 22) > 4) bad++;
    }
    p += len + caplen;
    // A record past the bytes at hand (or past any capture's size) is not whole: the trial ends there.
    if (p > end) break;
  }
  return n === 0 ? Infinity : bad;
}

export function pcapInterface(header: PcapHeader): CaptureInterface {
  return { id: 0, name: '', linkType: header.linkType, snaplen: header.snaplen, tsresol: header.nanosecond ? '1e-9' : '1e-6' };
}

/**
 * Yields every whole record, reusing `rec`. A record cut short at the end of the file (tcpdump killed
 * mid-write) is a 'truncated' warning after every whole record before it; a record length beyond any
 * sane capture is an InputError — classic pcap has no framing to resynchronise on.
 */
export function readPcapRecords(
  input: BufferedInput,
  header: PcapHeader,
  ctx: ReaderContext,
  rec: ReaderRecord,
): Generator<CaptureRecord, void, undefined> {
  return new PcapRecords(input, header, ctx, rec);
}

class PcapRecords extends RecordIterator {
  private readonly le: boolean;
  /** The sub-second field times this is nanoseconds: 1000 in µs files, 1 in ns files. */
  private readonly fracToNs: number;
  private readonly sll2: ReadonlyMap<number, string> | null;
  /** The record header's length (PcapHeader.recordHeader). */
  private readonly hdr: number;
  private frame = 0;
  private started = false;

  constructor(
    input: BufferedInput,
    private readonly header: PcapHeader,
    private readonly ctx: ReaderContext,
    rec: ReaderRecord,
  ) {
    super(input, rec);
    this.le = header.littleEndian;
    this.fracToNs = header.nanosecond ? 1 : 1000;
    this.hdr = header.recordHeader;
    this.sll2 = header.linkType === LinkType.LINUX_SLL2 ? ctx.interfaceNames : null;
    rec.file = ctx.file;
    rec.linkType = header.linkType;
    rec.interfaceId = 0;
    rec.interfaceName = '';
  }

  // The cold paths live in methods of their own: step() runs per packet, and their messages would
  // make it too large for V8 to inline into the consumer's loop.

  /** First step: false (after a warning) when the link type is one we cannot decode. */
  private start(): boolean {
    this.started = true;
    if (isSupportedLinkType(this.header.linkType)) return true;
    this.ctx.onWarning({
      code: 'unknown-link-type',
      file: this.ctx.file,
      offset: 20,
      message: `${describeLinkType(this.header.linkType)} is not supported; the capture's packets are skipped`,
    });
    return false;
  }

  /** The input ended before a whole record header: the end, with a warning if some bytes were left. */
  private endInHeader(): false {
    const input = this.input;
    if (input.available > 0) {
      this.ctx.onWarning({
        code: 'truncated',
        file: this.ctx.file,
        offset: input.offset,
        message: `last record header cut short (${input.available} of ${this.hdr} bytes); the capture was probably stopped mid-write`,
      });
    }
    return false;
  }

  /** The input ended inside a record's bytes. */
  private endInRecord(caplen: number): false {
    const input = this.input;
    this.ctx.onWarning({
      code: 'truncated',
      file: this.ctx.file,
      offset: input.offset,
      message: `last record cut short (${input.available - this.hdr} of ${caplen} bytes); the capture was probably stopped mid-write`,
    });
    return false;
  }

  private oversized(caplen: number, pos: number): InputError {
    return new InputError(
      'bad-header',
      this.ctx.file,
      `record ${this.frame + 1} claims ${caplen} captured bytes (more than ${MAX_RECORD_BYTES}); the file is corrupt from here`,
      { offset: this.input.offsetOf(pos) },
    );
  }

  protected step(): boolean {
    const input = this.input;
    if (!this.started && !this.start()) return false;
    const hdr = this.hdr;
    let pos = input.pos;
    if (input.end - pos < hdr) {
      if (!input.ensure(hdr)) return this.endInHeader();
      pos = input.pos;
    }
    const le = this.le;
    let dv = input.view;
    const caplen = dv.getUint32(pos + 8, le);
    if (caplen > MAX_RECORD_BYTES) throw this.oversized(caplen, pos);
    if (input.end - pos < hdr + caplen) {
      if (!input.ensure(hdr + caplen)) return this.endInRecord(caplen);
      pos = input.pos;
      dv = input.view;
    }
    const rec = this.rec;
    rec.frame = ++this.frame;
    rec.offset = input.offsetOf(pos);
    const sec = dv.getUint32(pos, le);
    // Writers that overflow the sub-second field are carried rather than producing nsec ≥ 1e9.
    const ns = dv.getUint32(pos + 4, le) * this.fracToNs;
    if (ns < 1_000_000_000) {
      rec.tsSec = sec;
      rec.tsNsec = ns;
    } else {
      carrySeconds(rec, sec, ns);
    }
    rec.caplen = caplen;
    rec.origLen = dv.getUint32(pos + 12, le);
    const buf = input.buf;
    if (rec.bytes !== buf) {
      rec.bytes = buf;
      rec.view = input.view;
    }
    rec.dataOffset = pos + hdr;
    if (this.sll2 !== null) rec.interfaceName = sll2InterfaceName(buf, pos + hdr, caplen, this.sll2);
    input.pos = pos + hdr + caplen;
    return true;
  }
}

function carrySeconds(rec: ReaderRecord, sec: number, ns: number): void {
  rec.tsSec = sec + Math.floor(ns / 1_000_000_000);
  rec.tsNsec = ns % 1_000_000_000;
}
