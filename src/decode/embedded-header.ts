import type { EmbeddedHeader } from '../model/packet.js';
import { Proto } from '../model/packet.js';
import { ipv6Words, u16, u32 } from './bytes.js';
import { EXT_OK, newIpv6ExtWalk, walkIpv6Extensions } from './ipv6-extensions.js';

const walk = newIpv6ExtWalk();
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO = 8;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

/**
 * The datagram an ICMP error quotes: its IP header and at least the first 8 bytes after it (RFC 792;
 * RFC 1812 §4.3.2.3 and Linux quote more, RFC 4443 §2.4 as much as fits in 1280 bytes). Those 8 bytes
 * hold the ports, a TCP sequence number or an ICMP echo id/seq: enough to tie the error to the flow
 * that caused it. The quote is short by design, so running out of bytes here is not truncation of the
 * packet; `present` says whether the IP header was whole. `capEnd` bounds what the capture holds.
 */
export function decodeEmbeddedHeader(d: Uint8Array, off: number, capEnd: number, inner: EmbeddedHeader): void {
  if (capEnd - off < 1) return;
  const version = d[off]! >> 4;
  let l4: number;
  if (version === 4) {
    if (capEnd - off < 20) {
      // Cut inside the quoted header (a short snaplen): what comes first still names the sender.
      if (capEnd - off >= 16) {
        inner.srcOnly = true;
        inner.ipId = u16(d, off + 4);
        inner.ttl = d[off + 8]!;
        inner.proto = d[off + 9]!;
        inner.src = u32(d, off + 12);
      }
      return;
    }
    const headerLength = (d[off]! & 0x0f) * 4;
    if (headerLength < 20) return;
    inner.present = true;
    inner.totalLength = u16(d, off + 2);
    inner.ipId = u16(d, off + 4);
    inner.ttl = d[off + 8]!;
    inner.proto = d[off + 9]!;
    inner.src = (((d[off + 12]! << 24) | (d[off + 13]! << 16) | (d[off + 14]! << 8) | d[off + 15]!) >>> 0);
    inner.dst = (((d[off + 16]! << 24) | (d[off + 17]! << 16) | (d[off + 18]! << 8) | d[off + 19]!) >>> 0);
    if ((u16(d, off + 6) & 0x1fff) !== 0) return; // a later fragment: no transport header quoted
    l4 = off + headerLength;
  } else if (version === 6) {
    if (capEnd - off < 40) return;
    inner.present = true;
    inner.totalLength = 40 + u16(d, off + 4);
    inner.ttl = d[off + 7]!;
    ipv6Words(d, off + 8, inner.src6);
    ipv6Words(d, off + 24, inner.dst6);
    // Bound the walk by the quote, not the quoted datagram's claimed length: the quote is cut anyway.
    walkIpv6Extensions(d, off + 40, d[off + 6]!, capEnd, capEnd, walk);
    inner.proto = walk.nextHeader;
    if (walk.fragment) inner.ipId = walk.fragId;
    if (walk.status !== EXT_OK || walk.fragOffset !== 0) return;
    l4 = walk.offset;
  } else {
    return;
  }
  const avail = capEnd - l4;
  inner.l4Quoted = avail <= 0 ? 0 : avail < 8 ? avail : 8;
  const proto = inner.proto;
  // Each field is read where the capture holds it: a quote cut by the snaplen still gives what comes first.
  if (proto === Proto.TCP || proto === Proto.UDP) {
    if (avail >= 2) inner.sport = u16(d, l4);
    if (avail >= 4) inner.dport = u16(d, l4 + 2);
    if (proto === Proto.TCP && avail >= 8) inner.tcpSeq =
      (((d[l4 + 4]! << 24) | (d[l4 + 5]! << 16) | (d[l4 + 6]! << 8) | d[l4 + 7]!) >>> 0);
  } else if (proto === Proto.ICMP || proto === Proto.ICMPV6) {
    if (avail >= 1) inner.icmpType = d[l4]!;
    const t = inner.icmpType;
    const echo =
      proto === Proto.ICMP
        ? t === ICMP_ECHO || t === ICMP_ECHO_REPLY
        : t === ICMPV6_ECHO_REQUEST || t === ICMPV6_ECHO_REPLY;
    if (echo && avail >= 6) inner.icmpId = u16(d, l4 + 4);
    if (echo && avail >= 8) inner.icmpSeq = u16(d, l4 + 6);
  }
}
