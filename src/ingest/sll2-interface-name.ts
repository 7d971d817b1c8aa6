/**
 * An `-i any` capture (LINUX_SLL2, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html) keeps
 * each packet's interface index at bytes 4..7 (big-endian) of the link header; the file itself names no
 * interface. With an `ip addr` snapshot the index becomes a name, so an `-i any` capture splits per
 * interface like separate captures would. '' when the index is unknown or the frame too short.
 */
export function sll2InterfaceName(data: Uint8Array, names: ReadonlyMap<number, string>): string {
  if (data.length < 8) return '';
  const ifindex = ((data[4]! << 24) | (data[5]! << 16) | (data[6]! << 8) | data[7]!) >>> 0;
  return names.get(ifindex) ?? '';
}
