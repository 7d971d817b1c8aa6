// The benchmark's capture generator: a classic µs pcap of N realistic Ethernet/IPv4 packets in a mix
// of sizes (bare TCP ACKs, SYNs with MSS, full 1514-byte segments, mid-size segments, DNS-like UDP,
// ICMP echo), with addresses, ports, IP IDs, sequence numbers and timestamps varying per packet.
// Written in chunks straight to disk, so any N fits in little memory.

import { closeSync, openSync, writeSync } from 'node:fs';
import { pcapFileHeader } from '../support/capture-writer.mjs';

/** Deterministic xorshift32, so every run writes the same file. @param {number} seed */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

// Packet kinds: [weight, protocol, minLen, maxLen]. Lengths are whole Ethernet frames.
const KINDS = [
  [30, 'tcp-ack', 54, 54],
  [5, 'tcp-syn', 58, 58],
  [20, 'tcp-full', 1514, 1514],
  [15, 'tcp-mid', 120, 900],
  [20, 'udp', 70, 300],
  [10, 'icmp', 98, 98],
];
const TOTAL_WEIGHT = KINDS.reduce((n, k) => n + k[0], 0);

/**
 * Write `packets` packets to `path`.
 * @param {string} path
 * @param {{packets?: number, seed?: number, startSec?: number}} [o]
 * @returns {{path: string, packets: number, bytes: number}}
 */
export function generateCapture(path, o = {}) {
  const packets = o.packets ?? 1_000_000;
  const next = rng(o.seed ?? 0x5eed);
  const fd = openSync(path, 'w');
  const CHUNK = 4 * 1024 * 1024;
  const buf = Buffer.alloc(CHUNK);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  let bytes = 0;
  const header = pcapFileHeader({ snaplen: 262144, linkType: 1 });
  writeSync(fd, header);
  bytes += header.length;
  let sec = o.startSec ?? 1_795_687_113;
  let usec = 0;
  for (let i = 0; i < packets; i++) {
    let pick = next() % TOTAL_WEIGHT;
    let kind = KINDS[0];
    for (const k of KINDS) {
      if (pick < k[0]) {
        kind = k;
        break;
      }
      pick -= k[0];
    }
    const [, name, min, max] = kind;
    const len = min === max ? min : min + (next() % (max - min + 1));
    if (at + 16 + len > CHUNK) {
      writeSync(fd, buf, 0, at);
      bytes += at;
      at = 0;
    }
    usec += 1 + (next() % 80);
    if (usec >= 1_000_000) {
      sec += 1;
      usec -= 1_000_000;
    }
    dv.setUint32(at, sec, true);
    dv.setUint32(at + 4, usec, true);
    dv.setUint32(at + 8, len, true);
    dv.setUint32(at + 12, len, true);
    const f = at + 16;
    buf.fill(0, f, f + len);
    // Ethernet
    dv.setUint32(f, 0x02000000);
    dv.setUint16(f + 4, 0x0002);
    dv.setUint32(f + 6, 0x02000000);
    dv.setUint16(f + 10, 0x0001);
    dv.setUint16(f + 12, 0x0800);
    // IPv4
    const ip = f + 14;
    const proto = name === 'udp' ? 17 : name === 'icmp' ? 1 : 6;
    const flow = next();
    dv.setUint8(ip, 0x45);
    dv.setUint16(ip + 2, len - 14);
    dv.setUint16(ip + 4, i & 0xffff);
    dv.setUint16(ip + 6, proto === 6 ? 0x4000 : 0);
    dv.setUint8(ip + 8, 64 - (flow & 7));
    dv.setUint8(ip + 9, proto);
    dv.setUint32(ip + 12, (0x0a000000 | (flow & 0xffff)) >>> 0);
    dv.setUint32(ip + 16, (0xc6336400 | ((flow >>> 16) & 0xff)) >>> 0);
    const l4 = ip + 20;
    if (proto === 6) {
      dv.setUint16(l4, 1024 + ((flow >>> 8) & 0xefff));
      dv.setUint16(l4 + 2, (flow & 1) === 0 ? 443 : 80);
      dv.setUint32(l4 + 4, next());
      dv.setUint32(l4 + 8, next());
      if (name === 'tcp-syn') {
        dv.setUint8(l4 + 12, 6 << 4);
        dv.setUint8(l4 + 13, 0x02);
        dv.setUint32(l4 + 20, 0x020405b4); // MSS 1460
      } else {
        dv.setUint8(l4 + 12, 5 << 4);
        dv.setUint8(l4 + 13, name === 'tcp-ack' ? 0x10 : 0x18);
      }
      dv.setUint16(l4 + 14, 64240);
    } else if (proto === 17) {
      dv.setUint16(l4, 1024 + ((flow >>> 8) & 0xefff));
      dv.setUint16(l4 + 2, 53);
      dv.setUint16(l4 + 4, len - 34);
    } else {
      dv.setUint8(l4, (flow & 1) === 0 ? 8 : 0);
      dv.setUint16(l4 + 4, flow & 0xffff);
      dv.setUint16(l4 + 6, i & 0xffff);
    }
    // Some payload bytes so payload hashing has work to do.
    for (let p = l4 + 20; p < f + len; p += 64) buf[p] = (i + p) & 0xff;
    at += 16 + len;
  }
  writeSync(fd, buf, 0, at);
  bytes += at;
  closeSync(fd);
  return { path, packets, bytes };
}
