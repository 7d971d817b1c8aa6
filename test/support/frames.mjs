// Builders for test frames: Ethernet (with 802.1Q/802.1ad tags), Linux SLL2, IPv4, TCP, UDP, ICMP echo.
// Checksums are filled in (RFC 791/793/768/792) so that tshark shows the frames as a real capture would.
// Plain JavaScript for the same reason as capture-writer.mjs.

import { concat } from './capture-writer.mjs';

/** '10.0.4.2' → 0x0a000402 @param {string} text */
export function ipv4(text) {
  return text.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
}

/** Internet checksum over bytes (RFC 1071). @param {Uint8Array[]} parts */
export function inetChecksum(parts) {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.length; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (p.length & 1) sum += p[p.length - 1] << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** @param {number} src @param {number} dst @param {number} proto @param {number} len */
function pseudoHeader(src, dst, proto, len) {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, src);
  dv.setUint32(4, dst);
  dv.setUint8(9, proto);
  dv.setUint16(10, len);
  return b;
}

/**
 * IPv4 header + payload. src/dst as 32-bit integers (see ipv4()).
 * @param {{src: number, dst: number, proto: number, payload: Uint8Array, id?: number, ttl?: number, df?: boolean, tos?: number, fragOffset?: number, mf?: boolean}} o
 */
export function ipv4Packet(o) {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  dv.setUint8(0, 0x45);
  dv.setUint8(1, o.tos ?? 0);
  dv.setUint16(2, 20 + o.payload.length);
  dv.setUint16(4, o.id ?? 0);
  dv.setUint16(6, ((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3)) & 0xffff);
  dv.setUint8(8, o.ttl ?? 64);
  dv.setUint8(9, o.proto);
  dv.setUint32(12, o.src);
  dv.setUint32(16, o.dst);
  dv.setUint16(10, inetChecksum([h]));
  return concat([h, o.payload]);
}

/**
 * TCP segment with checksum for the given addresses.
 * @param {{src: number, dst: number, sport: number, dport: number, seq: number, ack?: number, flags?: number, window?: number, mss?: number, payload?: Uint8Array}} o
 */
export function tcpSegment(o) {
  const opts = o.mss !== undefined ? Uint8Array.of(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff) : new Uint8Array(0);
  const payload = o.payload ?? new Uint8Array(0);
  const h = new Uint8Array(20 + opts.length);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, o.sport);
  dv.setUint16(2, o.dport);
  dv.setUint32(4, o.seq >>> 0);
  dv.setUint32(8, (o.ack ?? 0) >>> 0);
  dv.setUint8(12, (h.length / 4) << 4);
  dv.setUint8(13, o.flags ?? 0x02);
  dv.setUint16(14, o.window ?? 64240);
  h.set(opts, 20);
  dv.setUint16(16, inetChecksum([pseudoHeader(o.src, o.dst, 6, h.length + payload.length), h, payload]));
  return concat([h, payload]);
}

/** @param {{src: number, dst: number, sport: number, dport: number, payload?: Uint8Array}} o */
export function udpDatagram(o) {
  const payload = o.payload ?? new Uint8Array(0);
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, o.sport);
  dv.setUint16(2, o.dport);
  dv.setUint16(4, 8 + payload.length);
  dv.setUint16(6, inetChecksum([pseudoHeader(o.src, o.dst, 17, 8 + payload.length), h, payload]) || 0xffff);
  return concat([h, payload]);
}

/** ICMP echo request (type 8) or reply (type 0). @param {{type?: number, id: number, seq: number, payload?: Uint8Array}} o */
export function icmpEcho(o) {
  const payload = o.payload ?? new Uint8Array(0);
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint8(0, o.type ?? 8);
  dv.setUint16(4, o.id);
  dv.setUint16(6, o.seq);
  dv.setUint16(2, inetChecksum([h, payload]));
  return concat([h, payload]);
}

/**
 * Ethernet II frame; `vlans` outermost first, each {id, tpid?} (0x8100 = 802.1Q, 0x88a8 = 802.1ad).
 * MACs as 12-hex-digit strings.
 * @param {{dst?: string, src?: string, etherType?: number, vlans?: {id: number, tpid?: number}[], payload: Uint8Array}} o
 */
export function ethernetFrame(o) {
  const vlans = o.vlans ?? [];
  const h = new Uint8Array(14 + 4 * vlans.length);
  const dv = new DataView(h.buffer);
  h.set(hexBytes(o.dst ?? '020000000002'), 0);
  h.set(hexBytes(o.src ?? '020000000001'), 6);
  let at = 12;
  for (const v of vlans) {
    dv.setUint16(at, v.tpid ?? 0x8100);
    dv.setUint16(at + 2, v.id & 0x0fff);
    at += 4;
  }
  dv.setUint16(at, o.etherType ?? 0x0800);
  return concat([h, o.payload]);
}

/**
 * Linux cooked v2 header (LINKTYPE_LINUX_SLL2, as `tcpdump -i any` writes it) + payload.
 * @param {{protocol?: number, ifindex: number, hatype?: number, packetType?: number, addr?: string, payload: Uint8Array}} o
 */
export function sll2Frame(o) {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, o.protocol ?? 0x0800);
  dv.setUint32(4, o.ifindex);
  dv.setUint16(8, o.hatype ?? 1);
  dv.setUint8(10, o.packetType ?? 0);
  const addr = hexBytes(o.addr ?? '020000000001');
  dv.setUint8(11, addr.length);
  h.set(addr, 12);
  return concat([h, o.payload]);
}

/** @param {string} hex */
export function hexBytes(hex) {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const b = new Uint8Array(clean.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return b;
}
