import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { EtherType } from './ether-type.js';
import { markMalformed, markTruncated } from './truncate.js';

/**
 * LINKTYPE_RAW (101): no link header; the IP version nibble says v4 or v6 (what Linux writes for
 * tun devices and other ARPHRD_NONE links). The frame is `d[o, cap)`; returns the network header's
 * offset in `d` (`o`) or -1.
 */
export function decodeRawIp(d: Uint8Array, o: number, cap: number, out: DecodedPacket): number {
  if (cap - o < 1) {
    markTruncated(out, Layer.NETWORK);
    return -1;
  }
  const version = d[o]! >> 4;
  if (version === 4) out.etherType = EtherType.IPV4;
  else if (version === 6) out.etherType = EtherType.IPV6;
  else {
    markMalformed(out, `raw link: IP version ${version}`);
    return -1;
  }
  return o;
}
