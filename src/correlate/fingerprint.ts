import type { DecodedPacket } from '../model/packet.js';
import { Proto } from '../model/packet.js';

/**
 * A number that is the same for a packet and its NATed copy on the other interface.
 * NAT rewrites addresses, ports and the ICMP echo id (`--random-fully`), and the checksums; a forwarded
 * packet keeps its IP ID, payload, TCP seq/ack/flags and ICMP type/seq (FAILURES.md, "Facts about the
 * kernel"). TTL drops by one, so it is checked separately, not hashed. Collisions are resolved by
 * comparing the fields themselves (the correlator's `scanPending`); the key only narrows the search.
 */
export function fingerprint(d: DecodedPacket): number {
  return fingerprintOf(d.proto, d.ipId, d.payloadLength, d.payloadHash, d.tcpFlags, d.tcpSeq, d.tcpAck, d.icmpType, d.icmpCode, d.icmpSeq);
}

/** `fingerprint` of the fields themselves (the correlator reads them from a packet row). */
export function fingerprintOf(
  proto: number,
  ipId: number,
  payloadLength: number,
  payloadHash: number,
  tcpFlags: number,
  tcpSeq: number,
  tcpAck: number,
  icmpType: number,
  icmpCode: number,
  icmpSeq: number,
): number {
  // Independent multiplications (not one dependent chain per field), then one avalanche so that the low
  // bits, which pick the bucket, depend on every field. The payload hash is a hash already.
  let c: number;
  let x: number;
  let y: number;
  if (proto === Proto.TCP) {
    c = proto | (tcpFlags << 8);
    x = tcpSeq;
    y = tcpAck;
  } else if (proto === Proto.ICMP) {
    c = proto | (icmpType << 8) | (icmpCode << 16);
    x = icmpSeq;
    y = 0;
  } else {
    c = proto;
    x = 0;
    y = 0;
  }
  let h =
    payloadHash ^
    Math.imul(ipId | (payloadLength << 16), 0x9e3779b1) ^
    Math.imul(c, 0x85ebca6b) ^
    Math.imul(x | 0, 0xc2b2ae35) ^
    Math.imul((y | 0) ^ 0x5bd1e995, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
