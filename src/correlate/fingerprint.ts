import type { DecodedPacket } from '../model/packet.js';
import { Proto } from '../model/packet.js';

/**
 * A number that is the same for a packet and its NATed copy on the other interface.
 * NAT rewrites addresses, ports and the ICMP echo id (`--random-fully`), and the checksums; a forwarded
 * packet keeps its IP ID, payload, TCP seq/ack/flags and ICMP type/seq (FAILURES.md, "Facts about the
 * kernel"). TTL drops by one, so it is checked separately, not hashed. The payload hash is left out too: a
 * capture's snaplen may cut one copy's payload shorter than the other's (tcpdump -s 96 on one interface),
 * and hashes over different lengths cannot be compared. Collisions are resolved by comparing the fields
 * themselves, the payload hashes where they cover the same bytes (the correlator's `scanPending`); the key
 * only narrows the search. Pending packets leave their bucket as soon as their copy comes, so even traffic
 * alike in all of these (UDP with IP ID 0) makes long chains only where the gateway drops it.
 */
export function fingerprint(d: DecodedPacket): number {
  // Independent multiplications (not one dependent chain per field), then one avalanche so that the low
  // bits, which pick the bucket, depend on every field.
  let c: number;
  let x: number;
  let y: number;
  if (d.proto === Proto.TCP) {
    c = d.proto | (d.tcpFlags << 8);
    x = d.tcpSeq;
    y = d.tcpAck;
  } else if (d.proto === Proto.ICMP) {
    c = d.proto | (d.icmpType << 8) | (d.icmpCode << 16);
    x = d.icmpSeq;
    y = 0;
  } else {
    c = d.proto;
    x = 0;
    y = 0;
  }
  let h =
    Math.imul(d.ipId | (d.payloadLength << 16), 0x9e3779b1) ^
    Math.imul(c, 0x85ebca6b) ^
    Math.imul(x | 0, 0xc2b2ae35) ^
    Math.imul((y | 0) ^ 0x5bd1e995, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
