// Merge per-interface Ethernet captures (classic little-endian pcap) into one Linux cooked capture, as
// `tcpdump -i any` would have written it on the gateway: LINUX_SLL (v1, tcpdump before 4.99: no interface
// index) or LINUX_SLL2 (with it). The packet type comes from the gateway's MAC on each interface, the
// link-layer address is the frame's source MAC, as the kernel fills sll_addr.

import { concat, pcapFileHeader, pcapRecord } from './capture-writer.mjs';

/** Records of a classic little-endian µs pcap: { sec, usec, data }. */
function records(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('expected a little-endian µs pcap');
  const out = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const caplen = dv.getUint32(at + 8, true);
    out.push({ sec: dv.getUint32(at, true), usec: dv.getUint32(at + 4, true), data: bytes.subarray(at + 16, at + 16 + caplen) });
    at += 16 + caplen;
  }
  return out;
}

const macOf = (s) => Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
const same = (a, b) => a.every((x, i) => x === b[i]);

/**
 * @param {{bytes: Uint8Array, mac: string, ifindex: number}[]} inputs one Ethernet capture per interface
 * @param {1 | 2} version
 */
export function cookedAny(inputs, version) {
  const all = [];
  inputs.forEach((inp, k) => {
    for (const r of records(inp.bytes)) all.push({ ...r, k, mac: macOf(inp.mac), ifindex: inp.ifindex });
  });
  // Time order; a tie keeps file order (stable sort).
  all.sort((a, b) => a.sec - b.sec || a.usec - b.usec);
  const parts = [pcapFileHeader({ snaplen: 262144, linkType: version === 1 ? 113 : 276 })];
  for (const r of all) {
    const dst = r.data.subarray(0, 6);
    const src = r.data.subarray(6, 12);
    const type = same(src, r.mac) ? 4 : same(dst, r.mac) ? 0 : dst.every((x) => x === 0xff) ? 1 : dst[0] & 1 ? 2 : 3;
    const proto = r.data.subarray(12, 14);
    const head = new Uint8Array(version === 1 ? 16 : 20);
    const h = new DataView(head.buffer);
    if (version === 1) {
      h.setUint16(0, type);
      h.setUint16(2, 1); // ARPHRD_ETHER
      h.setUint16(4, 6);
      head.set(src, 6);
      head.set(proto, 14);
    } else {
      head.set(proto, 0);
      h.setUint32(4, r.ifindex);
      h.setUint16(8, 1);
      h.setUint8(10, type);
      h.setUint8(11, 6);
      head.set(src, 12);
    }
    const frame = concat([head, r.data.subarray(14)]);
    parts.push(pcapRecord({ sec: r.sec, frac: r.usec, data: frame }));
  }
  return concat(parts);
}

/**
 * Per-interface Ethernet captures merged into one Ethernet pcap, in time order, as `mergecap -F pcap` writes
 * them: nothing says which interface a frame was captured on.
 * @param {Uint8Array[]} captures classic little-endian µs pcaps
 */
export function mergedEthernet(captures) {
  const all = captures.flatMap((bytes) => records(bytes));
  all.sort((a, b) => a.sec - b.sec || a.usec - b.usec);
  return concat([pcapFileHeader({ snaplen: 262144, linkType: 1 }), ...all.map((r) => pcapRecord({ sec: r.sec, frac: r.usec, data: r.data }))]);
}
