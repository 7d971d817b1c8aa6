// Writers for test captures: classic pcap (µs/ns, either byte order) and pcapng (several sections,
// interfaces with if_name/if_tsresol/if_tsoffset, EPB/SPB/obsolete PB, arbitrary extra blocks).
// Plain JavaScript so that both the vitest suites (TypeScript) and the benchmark (node, no build)
// can use it. Everything returns Uint8Array; nothing here validates, so tests can write broken files.

/** @param {number} n */
const pad4 = (n) => (n + 3) & ~3;

/**
 * Classic pcap file header (pcap-savefile(5)).
 * @param {{littleEndian?: boolean, nanosecond?: boolean, snaplen?: number, linkType?: number, versionMajor?: number}} [o]
 */
export function pcapFileHeader(o = {}) {
  const le = o.littleEndian ?? true;
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, o.versionMajor ?? 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, o.snaplen ?? 262144, le);
  dv.setUint32(20, o.linkType ?? 1, le);
  return b;
}

/**
 * One classic pcap record: header + data. `frac` is µs or ns as the file header says; `caplen`
 * overrides the header's captured length (to write corrupt files).
 * @param {{sec: number, frac: number, data: Uint8Array, origLen?: number, caplen?: number}} r
 * @param {boolean} [littleEndian]
 */
export function pcapRecord(r, littleEndian = true) {
  const b = new Uint8Array(16 + r.data.length);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, r.sec, littleEndian);
  dv.setUint32(4, r.frac, littleEndian);
  dv.setUint32(8, r.caplen ?? r.data.length, littleEndian);
  dv.setUint32(12, r.origLen ?? r.data.length, littleEndian);
  b.set(r.data, 16);
  return b;
}

/**
 * A whole classic pcap file.
 * @param {{littleEndian?: boolean, nanosecond?: boolean, snaplen?: number, linkType?: number,
 *          records: {sec: number, frac: number, data: Uint8Array, origLen?: number, caplen?: number}[]}} o
 */
export function pcapFile(o) {
  const le = o.littleEndian ?? true;
  return concat([pcapFileHeader(o), ...o.records.map((r) => pcapRecord(r, le))]);
}

/** @param {Uint8Array[]} parts */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A pcapng block: type, total length, body padded to 4, total length again.
 * @param {number} type
 * @param {Uint8Array} body
 * @param {boolean} le
 * @param {{length?: number, trailer?: number}} [corrupt] override the header/trailer length fields
 */
export function pcapngBlock(type, body, le, corrupt = {}) {
  const total = 12 + pad4(body.length);
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, corrupt.length ?? total, le);
  b.set(body, 8);
  dv.setUint32(total - 4, corrupt.trailer ?? total, le);
  return b;
}

/**
 * Options list (code, length, value padded to 4), terminated by opt_endofopt.
 * @param {{code: number, value: Uint8Array}[]} opts
 * @param {boolean} le
 */
export function pcapngOptions(opts, le) {
  if (opts.length === 0) return new Uint8Array(0);
  const parts = [];
  for (const o of opts) {
    const h = new Uint8Array(4 + pad4(o.value.length));
    const dv = new DataView(h.buffer);
    dv.setUint16(0, o.code, le);
    dv.setUint16(2, o.value.length, le);
    h.set(o.value, 4);
    parts.push(h);
  }
  parts.push(new Uint8Array(4));
  return concat(parts);
}

/**
 * @typedef {{type: 'idb', linkType?: number, snaplen?: number, name?: string, tsresol?: number, tsoffset?: bigint}} IdbSpec
 * @typedef {{type: 'epb', interfaceId?: number, ts: bigint, data: Uint8Array, origLen?: number, caplen?: number}} EpbSpec
 * @typedef {{type: 'pb', interfaceId?: number, ts: bigint, data: Uint8Array, origLen?: number}} PbSpec
 * @typedef {{type: 'spb', data: Uint8Array, origLen?: number}} SpbSpec
 * @typedef {{type: 'raw', blockType: number, body: Uint8Array, length?: number, trailer?: number}} RawSpec
 * @typedef {{type: 'isb', interfaceId?: number, ts: bigint, start?: bigint, end?: bigint, ifrecv?: bigint, ifdrop?: bigint, osdrop?: bigint}} IsbSpec
 * @typedef {IdbSpec | EpbSpec | PbSpec | SpbSpec | RawSpec | IsbSpec} BlockSpec
 */

/**
 * One pcapng section: SHB then the given blocks, all in the section's byte order.
 * ts values are counts of the interface's if_tsresol units (default µs).
 * @param {{littleEndian?: boolean, blocks: BlockSpec[]}} s
 */
export function pcapngSection(s) {
  const le = s.littleEndian ?? true;
  const enc = new TextEncoder();
  const shb = new Uint8Array(16);
  const sdv = new DataView(shb.buffer);
  sdv.setUint32(0, 0x1a2b3c4d, le);
  sdv.setUint16(4, 1, le);
  sdv.setUint16(6, 0, le);
  sdv.setBigInt64(8, -1n, le); // section length not specified
  const parts = [pcapngBlock(0x0a0d0d0a, shb, le)];
  for (const b of s.blocks) {
    if (b.type === 'idb') {
      const opts = [];
      if (b.name !== undefined) opts.push({ code: 2, value: enc.encode(b.name) });
      if (b.tsresol !== undefined) opts.push({ code: 9, value: Uint8Array.of(b.tsresol) });
      if (b.tsoffset !== undefined) {
        const v = new Uint8Array(8);
        new DataView(v.buffer).setBigInt64(0, b.tsoffset, le);
        opts.push({ code: 14, value: v });
      }
      const fixed = new Uint8Array(8);
      const dv = new DataView(fixed.buffer);
      dv.setUint16(0, b.linkType ?? 1, le);
      dv.setUint32(4, b.snaplen ?? 262144, le);
      parts.push(pcapngBlock(1, concat([fixed, pcapngOptions(opts, le)]), le));
    } else if (b.type === 'epb' || b.type === 'pb') {
      const fixed = new Uint8Array(20);
      const dv = new DataView(fixed.buffer);
      if (b.type === 'epb') dv.setUint32(0, b.interfaceId ?? 0, le);
      else dv.setUint16(0, b.interfaceId ?? 0, le);
      dv.setUint32(4, Number(b.ts >> 32n), le);
      dv.setUint32(8, Number(b.ts & 0xffffffffn), le);
      dv.setUint32(12, ('caplen' in b ? b.caplen : undefined) ?? b.data.length, le);
      dv.setUint32(16, b.origLen ?? b.data.length, le);
      const data = new Uint8Array(pad4(b.data.length));
      data.set(b.data);
      parts.push(pcapngBlock(b.type === 'epb' ? 6 : 2, concat([fixed, data]), le));
    } else if (b.type === 'isb') {
      // Interface Statistics Block: interface id, timestamp (high, low), then isb_* options.
      const fixed = new Uint8Array(12);
      const dv = new DataView(fixed.buffer);
      dv.setUint32(0, b.interfaceId ?? 0, le);
      dv.setUint32(4, Number(b.ts >> 32n), le);
      dv.setUint32(8, Number(b.ts & 0xffffffffn), le);
      const time = (t) => {
        const v = new Uint8Array(8);
        const x = new DataView(v.buffer);
        x.setUint32(0, Number(t >> 32n), le);
        x.setUint32(4, Number(t & 0xffffffffn), le);
        return v;
      };
      const u64 = (n) => {
        const v = new Uint8Array(8);
        new DataView(v.buffer).setBigUint64(0, n, le);
        return v;
      };
      const opts = [];
      if (b.start !== undefined) opts.push({ code: 2, value: time(b.start) });
      if (b.end !== undefined) opts.push({ code: 3, value: time(b.end) });
      if (b.ifrecv !== undefined) opts.push({ code: 4, value: u64(b.ifrecv) });
      if (b.ifdrop !== undefined) opts.push({ code: 5, value: u64(b.ifdrop) });
      if (b.osdrop !== undefined) opts.push({ code: 7, value: u64(b.osdrop) });
      parts.push(pcapngBlock(5, concat([fixed, pcapngOptions(opts, le)]), le));
    } else if (b.type === 'spb') {
      const fixed = new Uint8Array(4);
      new DataView(fixed.buffer).setUint32(0, b.origLen ?? b.data.length, le);
      parts.push(pcapngBlock(3, concat([fixed, b.data]), le));
    } else {
      parts.push(pcapngBlock(b.blockType, b.body, le, { length: b.length, trailer: b.trailer }));
    }
  }
  return concat(parts);
}

/**
 * A whole pcapng file of one or more sections.
 * @param {{littleEndian?: boolean, blocks: BlockSpec[]}[]} sections
 */
export function pcapngFile(sections) {
  return concat(sections.map(pcapngSection));
}
