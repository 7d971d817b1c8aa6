/**
 * Test helper: a classic pcap rewritten as one of the old variants Wireshark reads (pcap-reader.ts): the 1999
 * patched libpcaps' longer record headers and Nokia IPSO's.
 */
export type PcapVariant = { name: string; magic: number; header: 20 | 24 | 28 };
export const PCAP_VARIANTS: PcapVariant[] = [
  { name: 'Red Hat 6.1 (usual magic, 24-byte records)', magic: 0xa1b2c3d4, header: 24 },
  { name: 'Nokia IPSO (usual magic, 20-byte records)', magic: 0xa1b2c3d4, header: 20 },
  { name: 'modified, 1999-10-29 (24-byte records)', magic: 0xa1b2cd34, header: 24 },
  { name: 'SuSE 6.3 (modified magic, 28-byte records)', magic: 0xa1b2cd34, header: 28 },
];

/**
 * A classic little-endian µs pcap rewritten as `v`, in either byte order: each record's extra fields as those
 * writers filled them (interface index, EtherType, packet type: a host's and an outgoing one in turn).
 */
export function asVariant(pcap: Buffer, v: PcapVariant, le: boolean): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n >>> 0);
    else b.writeUInt32BE(n >>> 0);
    return b;
  };
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(n);
    else b.writeUInt16BE(n);
    return b;
  };
  const parts: Buffer[] = [u32(v.magic), u16(pcap.readUInt16LE(4)), u16(pcap.readUInt16LE(6)), u32(pcap.readInt32LE(8)), u32(pcap.readUInt32LE(12)), u32(pcap.readUInt32LE(16)), u32(pcap.readUInt32LE(20))];
  let n = 0;
  for (let at = 24; at + 16 <= pcap.length; n++) {
    const caplen = pcap.readUInt32LE(at + 8);
    parts.push(u32(pcap.readUInt32LE(at)), u32(pcap.readUInt32LE(at + 4)), u32(caplen), u32(pcap.readUInt32LE(at + 12)));
    if (v.header === 20) parts.push(Buffer.from([0x9f, 0xbf, 0xb6, 0x01]));
    else parts.push(u32(3), u16(0x0800), Buffer.from(v.header === 24 ? [n % 2 ? 4 : 0, 0] : [n % 2 ? 4 : 0, 0, 0, 0, 0, 0]));
    parts.push(pcap.subarray(at + 16, at + 16 + caplen));
    at += 16 + caplen;
  }
  return Buffer.concat(parts);
}
