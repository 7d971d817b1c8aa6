import { LinkType, type CaptureInterface, type CaptureRecord, type CaptureStatistics } from '../model/capture.js';
import { InputError } from '../model/errors.js';
import type { BufferedInput } from './buffered-input.js';
import { MAX_RECORD_BYTES } from './limits.js';
import { describeLinkType, isSupportedLinkType } from './link-types.js';
import type { ReaderContext } from './reader-context.js';
import { RecordIterator, type ReaderRecord } from './reader-record.js';
import { PCAPNG_BOM, PCAPNG_SHB } from './sniff-capture-format.js';
import { sll2InterfaceName } from './sll2-interface-name.js';
import { applyTimestamp, timeScaleFromTsresol, MICROSECONDS, type TimeScale } from './time-scale.js';

/** Block types (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html §4, §11.1). */
const BLOCK = {
  SHB: PCAPNG_SHB,
  IDB: 0x00000001,
  PB: 0x00000002, // obsolete Packet Block (pcapng appendix A)
  SPB: 0x00000003,
  ISB: 0x00000005,
  EPB: 0x00000006,
  SYSTEMD_JOURNAL: 0x00000009,
  CUSTOM: 0x00000bad,
  CUSTOM_NOCOPY: 0x40000bad,
} as const;

const OPT = { endofopt: 0, if_name: 2, if_tsresol: 9, if_tsoffset: 14 } as const;
/** Interface Statistics Block options (pcapng §4.6). */
const ISB_OPT = { starttime: 2, endtime: 3, ifrecv: 4, ifdrop: 5, osdrop: 7 } as const;

/** Blocks we skip are not buffered whole beyond this; they are read through and their trailer checked. */
const SKIP_STREAMING_ABOVE = 1024 * 1024;

/** One interface of the current section. */
interface SectionInterface {
  /** File-wide index (interfaces of later sections continue the count, as Wireshark numbers them). */
  readonly globalId: number;
  readonly name: string;
  /**
   * The name its records carry: its own, but none for a Linux cooked v2 capture of the `any` pseudo-device
   * (`dumpcap -i any -y LINUX_SLL2`): each record names its interface by index (LINUX_SLL2), never "any".
   */
  readonly recordName: string;
  readonly linkType: number;
  readonly snaplen: number;
  readonly scale: TimeScale;
  /** false: unsupported link type or unusable timestamp resolution; its packets are skipped. */
  readonly usable: boolean;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Yields every packet (EPB, SPB, obsolete PB) of a pcapng file, reusing `rec`, and appends each
 * interface it meets to `interfaces`. Structural damage (a block length that is not a multiple of 4
 * or below 12, a trailer that differs from the header, a packet longer than its block) is an
 * InputError with the block's offset; a block cut short at the end of the file is a 'truncated'
 * warning after everything whole before it.
 */
export function readPcapngRecords(
  input: BufferedInput,
  ctx: ReaderContext,
  rec: ReaderRecord,
  interfaces: CaptureInterface[],
  statistics: CaptureStatistics[] = [],
): Generator<CaptureRecord, void, undefined> {
  return new PcapngRecords(input, ctx, rec, interfaces, statistics);
}

class PcapngRecords extends RecordIterator {
  /** Byte order of the current section (its SHB's byte-order magic). */
  private le = true;
  private section: SectionInterface[] = [];
  private sawSection = false;
  private frame = 0;

  constructor(
    input: BufferedInput,
    private readonly ctx: ReaderContext,
    rec: ReaderRecord,
    private readonly interfaces: CaptureInterface[],
    private readonly statistics: CaptureStatistics[],
  ) {
    super(input, rec);
    rec.file = ctx.file;
  }

  private badBlock(offset: number, message: string): InputError {
    return new InputError('bad-block', this.ctx.file, message, { offset });
  }

  protected step(): boolean {
    const input = this.input;
    const ctx = this.ctx;
    const { file } = ctx;
    const names = ctx.interfaceNames;
    const rec = this.rec;
    const interfaces = this.interfaces;
    for (;;) {
      const offset = input.offset;
      if (input.end - input.pos < 12 && !input.ensure(12)) {
        if (input.available > 0) truncatedAtEnd(ctx, input, offset, this.sawSection);
        return false;
      }
      let p = input.pos;
      let dv = input.view;
      let le = this.le;
      const type = dv.getUint32(p, le);
      if (type === BLOCK.SHB) {
        // The byte order of everything in a section, including this block's length, is its magic's.
        const bom = dv.getUint32(p + 8, true);
        if (bom === PCAPNG_BOM) le = this.le = true;
        else if (bom === 0x4d3c2b1a) le = this.le = false;
        else throw new InputError('bad-header', file, `section header byte-order magic is 0x${bom.toString(16)}, not 0x1a2b3c4d`, { offset: offset + 8 });
      } else if (!this.sawSection) {
        throw new InputError('not-a-capture', file, 'pcapng file does not start with a section header block', { offset });
      }
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || len % 4 !== 0) {
        throw this.badBlock(offset, `block type 0x${type.toString(16)} has impossible length ${len} (must be ≥ 12 and a multiple of 4)`);
      }
      if (len > MAX_RECORD_BYTES) {
        throw this.badBlock(offset, `block type 0x${type.toString(16)} claims ${len} bytes (more than ${MAX_RECORD_BYTES}); the file is corrupt from here`);
      }

      const known = type === BLOCK.SHB || type === BLOCK.IDB || type === BLOCK.EPB || type === BLOCK.SPB || type === BLOCK.PB || type === BLOCK.ISB;
      if (!known && len > SKIP_STREAMING_ABOVE) {
        if (type === BLOCK.CUSTOM || type === BLOCK.CUSTOM_NOCOPY || type === BLOCK.SYSTEMD_JOURNAL) this.frame++;
        // NRB, DSB, custom and unknown blocks: read through without holding them.
        if (input.skip(len - 4) < len - 4 || !input.ensure(4)) {
          truncatedAtEnd(ctx, input, offset, this.sawSection);
          return false;
        }
        const trailer = input.view.getUint32(input.pos, le);
        if (trailer !== len) throw this.badBlock(offset, `block trailer length ${trailer} differs from header length ${len}`);
        input.advance(4);
        continue;
      }
      if (input.end - input.pos < len && !input.ensure(len)) {
        truncatedAtEnd(ctx, input, offset, this.sawSection);
        return false;
      }
      p = input.pos;
      dv = input.view;
      const trailer = dv.getUint32(p + len - 4, le);
      if (trailer !== len) throw this.badBlock(offset, `block trailer length ${trailer} differs from header length ${len}`);

      switch (type) {
        case BLOCK.SHB: {
          if (len < 28) throw this.badBlock(offset, `section header block of ${len} bytes is shorter than its 28-byte minimum`);
          const major = dv.getUint16(p + 12, le);
          if (major !== 1) {
            throw new InputError('bad-header', file, `unsupported pcapng version ${major}.${dv.getUint16(p + 14, le)} (expected 1.x)`, { offset: offset + 12 });
          }
          // A new section starts interface numbering afresh (pcapng §4.2).
          this.section = [];
          this.sawSection = true;
          break;
        }
        case BLOCK.IDB: {
          if (len < 20) throw this.badBlock(offset, `interface description block of ${len} bytes is shorter than its 20-byte minimum`);
          const linkType = dv.getUint16(p + 8, le);
          const snaplen = dv.getUint32(p + 12, le);
          let name = '';
          let tsresol = 6;
          let tsoffset = 0;
          forEachOption(dv, p + 16, p + len - 4, le, (code, v, olen) => {
            if (code === OPT.if_name) {
              name = textDecoder.decode(input.buf.subarray(v, v + olen)).replace(/\0+$/, '');
            } else if (code === OPT.if_tsresol && olen >= 1) {
              tsresol = input.buf[v]!;
            } else if (code === OPT.if_tsoffset && olen >= 8) {
              tsoffset = Number(dv.getBigInt64(v, le));
            }
          });
          const globalId = interfaces.length;
          const scale = timeScaleFromTsresol(tsresol, tsoffset);
          let usable = true;
          if (!isSupportedLinkType(linkType)) {
            usable = false;
            ctx.onWarning({
              code: 'unknown-link-type',
              file,
              offset,
              message: `interface ${globalId}${name ? ` (${name})` : ''} has ${describeLinkType(linkType)}, which is not supported; its packets are skipped`,
            });
          } else if (scale === null) {
            usable = false;
            ctx.onWarning({
              code: 'bad-header',
              file,
              offset,
              message: `interface ${globalId}${name ? ` (${name})` : ''} has if_tsresol 0x${tsresol.toString(16)}, finer than any clock; its packets are skipped`,
            });
          }
          const s = scale ?? MICROSECONDS;
          const recordName = linkType === LinkType.LINUX_SLL2 && name === 'any' ? '' : name;
          this.section.push({ globalId, name, recordName, linkType, snaplen, scale: s, usable });
          interfaces.push({ id: globalId, name, linkType, snaplen, tsresol: s.label });
          break;
        }
        case BLOCK.EPB:
        case BLOCK.PB: {
          if (len < 32) throw this.badBlock(offset, `packet block of ${len} bytes is shorter than its 32-byte minimum`);
          const ifid = type === BLOCK.EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
          const caplen = dv.getUint32(p + 20, le);
          if (caplen > len - 32) throw this.badBlock(offset, `packet claims ${caplen} captured bytes but its block holds only ${len - 32}`);
          const iface = this.section[ifid];
          if (iface === undefined) throw this.badBlock(offset, `packet refers to interface ${ifid} but the section declares ${this.section.length}`);
          this.frame++;
          if (!iface.usable) break;
          rec.frame = this.frame;
          rec.offset = offset;
          applyTimestamp(iface.scale, dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), rec);
          rec.caplen = caplen;
          rec.origLen = dv.getUint32(p + 24, le);
          rec.linkType = iface.linkType;
          rec.interfaceId = iface.globalId;
          if (rec.bytes !== input.buf) {
            rec.bytes = input.buf;
            rec.view = input.view;
          }
          rec.dataOffset = p + 28;
          rec.interfaceName = names !== null && iface.linkType === LinkType.LINUX_SLL2 ? sll2InterfaceName(input.buf, p + 28, caplen, names) || iface.recordName : iface.recordName;
          input.advance(len);
          return true;
        }
        case BLOCK.SPB: {
          if (len < 16) throw this.badBlock(offset, `simple packet block of ${len} bytes is shorter than its 16-byte minimum`);
          // An SPB belongs to the section's first interface and has no timestamp (pcapng §4.4).
          const iface = this.section[0];
          if (iface === undefined) throw this.badBlock(offset, 'simple packet block before any interface description block');
          const origLen = dv.getUint32(p + 8, le);
          let caplen = Math.min(origLen, len - 16);
          if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen);
          this.frame++;
          if (!iface.usable) break;
          rec.frame = this.frame;
          rec.offset = offset;
          rec.tsSec = 0;
          rec.tsNsec = 0;
          rec.caplen = caplen;
          rec.origLen = origLen;
          rec.linkType = iface.linkType;
          rec.interfaceId = iface.globalId;
          if (rec.bytes !== input.buf) {
            rec.bytes = input.buf;
            rec.view = input.view;
          }
          rec.dataOffset = p + 12;
          rec.interfaceName = names !== null && iface.linkType === LinkType.LINUX_SLL2 ? sll2InterfaceName(input.buf, p + 12, caplen, names) || iface.recordName : iface.recordName;
          input.advance(len);
          return true;
        }
        case BLOCK.ISB: {
          if (len < 24) throw this.badBlock(offset, `interface statistics block of ${len} bytes is shorter than its 24-byte minimum`);
          const ifid = dv.getUint32(p + 8, le);
          const iface = this.section[ifid];
          // Statistics of an interface the section does not declare describe nothing we read: skip them.
          if (iface === undefined || !iface.usable) break;
          this.statistics.push(readStatistics(dv, p, len, le, offset, iface));
          break;
        }
        case BLOCK.CUSTOM:
        case BLOCK.CUSTOM_NOCOPY:
        case BLOCK.SYSTEMD_JOURNAL:
          // Wireshark shows these as frames of their own; count them so that our frame numbers stay the
          // ones a user finds in Wireshark, but they carry no packet.
          this.frame++;
          break;
        default:
          // NRB, DSB and unknown blocks carry nothing the diagnosis uses.
          break;
      }
      input.advance(len);
    }
  }
}

/**
 * A block's options from `from` to `to` (pcapng §3.5: code, length, value padded to 4 bytes), up to
 * opt_endofopt or the first option that would run past the block.
 */
function forEachOption(dv: DataView, from: number, to: number, le: boolean, each: (code: number, value: number, length: number) => void): void {
  for (let q = from; q + 4 <= to; ) {
    const code = dv.getUint16(q, le);
    const length = dv.getUint16(q + 2, le);
    if (code === OPT.endofopt || q + 4 + length > to) return;
    each(code, q + 4, length);
    q += 4 + ((length + 3) & ~3);
  }
}

/** An Interface Statistics Block's options: start and end time (in the interface's resolution), counters. */
function readStatistics(dv: DataView, p: number, len: number, le: boolean, offset: number, iface: SectionInterface): CaptureStatistics {
  let start: { sec: number; nsec: number }[] = [];
  let end: { sec: number; nsec: number }[] = [];
  let received: number | null = null;
  let interfaceDropped: number | null = null;
  let osDropped: number | null = null;
  const u64 = (v: number): number => dv.getUint32(v + (le ? 4 : 0), le) * 2 ** 32 + dv.getUint32(v + (le ? 0 : 4), le);
  forEachOption(dv, p + 20, p + len - 4, le, (code, v, olen) => {
    if (olen >= 8) {
      if (code === ISB_OPT.starttime || code === ISB_OPT.endtime) {
        // Like a packet's timestamp: high 32 bits, then low, in the interface's if_tsresol (and in µs, see CaptureStatistics).
        const hi = dv.getUint32(v, le);
        const lo = dv.getUint32(v + 4, le);
        const readings = [iface.scale, ...(iface.scale.unitsPerSec === MICROSECONDS.unitsPerSec ? [] : [MICROSECONDS])].map((scale) => {
          const t = { tsSec: 0, tsNsec: 0 };
          applyTimestamp(scale, hi, lo, t);
          return { sec: t.tsSec, nsec: t.tsNsec };
        });
        if (code === ISB_OPT.starttime) start = readings;
        else end = readings;
      } else if (code === ISB_OPT.ifrecv) received = u64(v);
      else if (code === ISB_OPT.ifdrop) interfaceDropped = u64(v);
      else if (code === ISB_OPT.osdrop) osDropped = u64(v);
    }
  });
  return { interfaceId: iface.globalId, offset, start, end, received, interfaceDropped, osDropped };
}

function truncatedAtEnd(ctx: ReaderContext, input: BufferedInput, offset: number, sawSection: boolean): void {
  if (!sawSection) {
    throw new InputError('truncated', ctx.file, `section header block cut short (${input.available} bytes before the end of the file)`, { offset });
  }
  ctx.onWarning({
    code: 'truncated',
    file: ctx.file,
    offset,
    message: `last block cut short at the end of the file (${input.available} bytes); the capture was probably stopped mid-write`,
  });
}
