import { u16 } from './bytes.js';

/** Where a walk over IPv6 extension headers stopped, and the fragment header it passed, if any. */
export interface Ipv6ExtWalk {
  /** Offset of the upper-layer header (or of the header the walk stopped at). */
  offset: number;
  nextHeader: number;
  fragment: boolean;
  fragOffset: number;
  mf: boolean;
  fragId: number;
  /** 0 = reached an upper layer, 1 = the capture ended inside an extension header, 2 = a header runs past the datagram. */
  status: number;
}

export const EXT_OK = 0;
export const EXT_TRUNCATED = 1;
export const EXT_MALFORMED = 2;

export function newIpv6ExtWalk(): Ipv6ExtWalk {
  return { offset: 0, nextHeader: 0, fragment: false, fragOffset: 0, mf: false, fragId: 0, status: EXT_OK };
}

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const DEST_OPTIONS = 60;

/**
 * Walk RFC 8200 §4 extension headers from `off` (whose type is `nextHeader`) up to the upper-layer
 * header. Hop-by-hop, routing and destination options share the (next, length in 8-octet units − 1)
 * layout; the fragment header is 8 bytes with offset, M flag and a 32-bit identification. AH, ESP and
 * No Next Header end the walk: what follows them is not a transport header we can read.
 * `end` is the datagram's claimed end, `capEnd` the captured end. Writes into `w`, allocates nothing.
 */
export function walkIpv6Extensions(
  d: Uint8Array,
  off: number,
  nextHeader: number,
  end: number,
  capEnd: number,
  w: Ipv6ExtWalk,
): void {
  w.fragment = false;
  w.fragOffset = 0;
  w.mf = false;
  w.fragId = 0;
  w.status = EXT_OK;
  let p = off;
  let nh = nextHeader;
  for (;;) {
    if (nh === HOP_BY_HOP || nh === ROUTING || nh === DEST_OPTIONS || nh === FRAGMENT) {
      const len = nh === FRAGMENT ? 8 : -1;
      if (p + 2 > end) {
        w.status = EXT_MALFORMED;
        break;
      }
      if (p + 2 > capEnd) {
        w.status = EXT_TRUNCATED;
        break;
      }
      const hlen = len > 0 ? len : (d[p + 1]! + 1) * 8;
      if (p + hlen > end) {
        w.status = EXT_MALFORMED;
        break;
      }
      if (p + hlen > capEnd) {
        w.status = EXT_TRUNCATED;
        break;
      }
      if (nh === FRAGMENT) {
        const fo = u16(d, p + 2);
        w.fragment = true;
        w.fragOffset = fo & 0xfff8;
        w.mf = (fo & 1) !== 0;
        w.fragId = (((d[p + 4]! << 24) | (d[p + 5]! << 16) | (d[p + 6]! << 8) | d[p + 7]!) >>> 0);
      }
      nh = d[p]!;
      p += hlen;
      continue;
    }
    break;
  }
  w.offset = p;
  w.nextHeader = nh;
}
