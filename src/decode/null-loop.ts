import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u32, u32le } from './bytes.js';
import { EtherType } from './ether-type.js';
import { markTruncated } from './truncate.js';

const NULL_HEADER = 4;
const AF_INET = 2;

/**
 * LINKTYPE_NULL (0) / LINKTYPE_LOOP (108): a 4-byte address family, in the capturing host's byte order
 * for NULL and network order for LOOP; since real values are small, whichever order gives a value
 * below 2^16 is the right one. AF_INET6 differs by OS: 10 Linux, 24 NetBSD/OpenBSD/BSD/OS, 28 FreeBSD/
 * DragonFly, 30 macOS/iOS (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html).
 * The frame is `d[o, cap)`; returns the network header's offset in `d` or -1.
 */
export function decodeNullLoop(d: Uint8Array, o: number, cap: number, out: DecodedPacket): number {
  if (cap - o < NULL_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  let af = u32le(d, o);
  if (af > 0xffff) af = u32(d, o);
  if (af === AF_INET) out.etherType = EtherType.IPV4;
  else if (af === 10 || af === 24 || af === 28 || af === 30) out.etherType = EtherType.IPV6;
  else out.etherType = 0; // OSI, IPX, …: no network layer we decode
  return o + NULL_HEADER;
}
