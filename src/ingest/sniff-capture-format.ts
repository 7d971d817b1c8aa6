import type { CaptureFormat } from '../model/capture.js';

/** pcapng Section Header Block type; a palindrome, so it reads the same in both byte orders. */
export const PCAPNG_SHB = 0x0a0d0d0a;
/** pcapng byte-order magic as written by the capturing host. */
export const PCAPNG_BOM = 0x1a2b3c4d;

/** Classic pcap magic numbers (https://www.tcpdump.org/manpages/pcap-savefile.5.html) as read little-endian. */
export const PCAP_MAGIC = {
  usLittle: 0xa1b2c3d4,
  usBig: 0xd4c3b2a1,
  nsLittle: 0xa1b23c4d,
  nsBig: 0x4d3cb2a1,
  /** Linux's patched libpcaps of 1999 (Alexey Kuznetsov's; Red Hat and SuSE tcpdump): longer record headers (pcap-reader.ts). */
  modifiedLittle: 0xa1b2cd34,
  modifiedBig: 0x34cdb2a1,
} as const;

/**
 * What the first bytes of a file say it is, without reading further: 'pcap' (microsecond), 'pcap-ns'
 * (nanosecond) or 'pcapng'; null for anything else. Needs 4 bytes; with 12 or more a pcapng candidate
 * must also carry the byte-order magic (a text file starting with "\n\r\r\n" is not a capture).
 */
export function sniffCaptureFormat(firstBytes: Uint8Array): CaptureFormat | null {
  if (firstBytes.length < 4) return null;
  const dv = new DataView(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength);
  const magic = dv.getUint32(0, true);
  switch (magic) {
    case PCAP_MAGIC.usLittle:
    case PCAP_MAGIC.usBig:
    case PCAP_MAGIC.modifiedLittle:
    case PCAP_MAGIC.modifiedBig:
      return 'pcap';
    case PCAP_MAGIC.nsLittle:
    case PCAP_MAGIC.nsBig:
      return 'pcap-ns';
    case PCAPNG_SHB: {
      if (firstBytes.length < 12) return 'pcapng';
      const bom = dv.getUint32(8, true);
      return bom === PCAPNG_BOM || bom === 0x4d3c2b1a ? 'pcapng' : null;
    }
    default:
      return null;
  }
}
