import type { DecodedPacket } from '../model/packet.js';
import { Layer, Net } from '../model/packet.js';
import { ipv6Words, u16 } from './bytes.js';
import { EXT_MALFORMED, EXT_TRUNCATED, newIpv6ExtWalk, walkIpv6Extensions } from './ipv6-extensions.js';
import { markMalformed, markTruncated } from './truncate.js';

const IPV6_HEADER = 40;
const HOP_BY_HOP = 0;
const walk = newIpv6ExtWalk();

/**
 * IPv6 (RFC 8200): fixed header, then extension headers up to the upper layer named in `out.proto`;
 * a fragment header fills the fragment fields (its 32-bit identification goes to `ipId`). Returns the
 * upper-layer offset or -1. `ipHeaderLength` counts the extension headers too. The captured bytes in
 * `d` end at `cap`.
 */
export function decodeIpv6(d: Uint8Array, off: number, cap: number, out: DecodedPacket): number {
  out.net = Net.IPV6;
  out.netOffset = off;
  const captured = cap - off;
  if (captured < IPV6_HEADER) {
    markTruncated(out, Layer.NETWORK);
    return -1;
  }
  // Version (4 bits), traffic class (8), flow label (20), read bytewise: the whole word exceeds a small integer.
  const version = d[off]! >> 4;
  if (version !== 6) {
    markMalformed(out, `IPv6 header with version ${version}`);
    return -1;
  }
  out.tos = ((d[off]! & 0x0f) << 4) | (d[off + 1]! >> 4);
  out.flowLabel = ((d[off + 1]! & 0x0f) << 16) | (d[off + 2]! << 8) | d[off + 3]!;
  const payloadLength = u16(d, off + 4);
  const nextHeader = d[off + 6]!;
  out.ttl = d[off + 7]!;
  ipv6Words(d, off + 8, out.src6);
  ipv6Words(d, off + 24, out.dst6);
  // Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675) or an offload super-packet:
  // the captured length is the best measure there is.
  out.ipTotalLength =
    payloadLength === 0 && nextHeader === HOP_BY_HOP ? captured : IPV6_HEADER + payloadLength;
  const end = off + out.ipTotalLength;
  const capEnd = end < cap ? end : cap;
  walkIpv6Extensions(d, off + IPV6_HEADER, nextHeader, end, capEnd, walk);
  out.proto = walk.nextHeader;
  out.ipHeaderLength = walk.offset - off;
  if (walk.fragment) {
    out.fragment = true;
    out.fragOffset = walk.fragOffset;
    out.mf = walk.mf;
    out.ipId = walk.fragId;
  }
  if (walk.status === EXT_TRUNCATED) {
    markTruncated(out, Layer.NETWORK);
    return -1;
  }
  if (walk.status === EXT_MALFORMED) {
    markMalformed(out, 'IPv6 extension header runs past the payload length');
    return -1;
  }
  out.l4Offset = walk.offset;
  return walk.offset;
}
