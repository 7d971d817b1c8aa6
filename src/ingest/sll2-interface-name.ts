/**
 * An `-i any` capture (LINUX_SLL2, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html) keeps
 * each packet's interface index at bytes 4..7 (big-endian) of the link header; the file itself names no
 * interface. With an `ip addr` snapshot the index becomes a name, so an `-i any` capture splits per
 * interface like separate captures would. '' when the index is unknown or the frame too short. The frame is `buf[start, start + caplen)`.
 */
export function sll2InterfaceName(buf: Uint8Array, start: number, caplen: number, names: ReadonlyMap<number, string>): string {
  if (caplen < 8) return '';
  const o = start + 4;
  const ifindex = ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  return names.get(ifindex) ?? '';
}
