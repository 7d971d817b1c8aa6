import type { DecodedPacket } from '../model/packet.js';
import { Proto } from '../model/packet.js';

/**
 * A number that is the same for a packet and its NATed copy on the other interface.
 * NAT rewrites addresses, ports and the ICMP echo id (`--random-fully`), and the checksums; a forwarded
 * packet keeps its IP ID, payload, TCP seq/ack/flags and ICMP type/seq (FAILURES.md, "Facts about the
 * kernel"). TTL drops by one, so it is checked separately, not hashed. Collisions are resolved by
 * comparing the fields themselves (the correlator's `findPartner`); the key only narrows the search.
 */
export function fingerprint(d: DecodedPacket): number {
  let h = 0x811c9dc5;
  h = mix(h, d.proto);
  h = mix(h, d.ipId);
  h = mix(h, d.payloadLength);
  h = mix(h, d.payloadHash);
  if (d.proto === Proto.TCP) {
    h = mix(h, d.tcpSeq);
    h = mix(h, d.tcpAck);
    h = mix(h, d.tcpFlags);
  } else if (d.proto === Proto.ICMP) {
    h = mix(h, d.icmpType);
    h = mix(h, d.icmpCode);
    h = mix(h, d.icmpSeq);
  }
  return h >>> 0;
}

function mix(h: number, v: number): number {
  h ^= v & 0xffff;
  h = Math.imul(h, 0x01000193);
  h ^= v >>> 16;
  return Math.imul(h, 0x01000193);
}
