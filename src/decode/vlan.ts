import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { EtherType } from './ether-type.js';
import { markTruncated } from './truncate.js';

/** 802.1Q, 802.1ad and the pre-standard QinQ types. */
export function isVlanTag(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_OLD1 || t === EtherType.QINQ_OLD2;
}

/**
 * Skip stacked 802.1Q / 802.1ad tags that start at `off` while `out.etherType` names a tag (IEEE 802.1Q:
 * 2-byte TCI whose low 12 bits are the VLAN id, then the next type). Records outermost-first ids in
 * `out.vlanIds` (as many as it holds; deeper tags are still skipped). Returns the offset after the last
 * tag, or -1 when the capture (which holds `d` up to `cap`) ends inside a tag.
 */
export function skipVlanTags(d: Uint8Array, off: number, cap: number, out: DecodedPacket): number {
  while (isVlanTag(out.etherType)) {
    if (cap - off < 4) {
      markTruncated(out, Layer.LINK);
      return -1;
    }
    if (out.vlanCount < out.vlanIds.length) {
      out.vlanIds[out.vlanCount] = u16(d, off) & 0x0fff;
      out.vlanCount++;
    }
    out.etherType = u16(d, off + 2);
    off += 4;
  }
  return off;
}
