/**
 * Text a packet tool printed (`tcpdump -nn -r eth0.pcap > eth0.txt`, tshark's one line per packet) rather than
 * the packets: what people paste into tickets. It cannot be analysed — NAT correlation needs IP ids, payloads and
 * exact times — but saying what it is, and what to capture instead, beats "not a capture".
 */

/** How many leading lines are looked at. */
const LOOK = 20;

// tcpdump: [date ]time[ iface In|Out|M|B|P] then a protocol word, or MACs with -e. Continuation lines (-v) are indented.
const TCPDUMP_RE = /^(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2}\.\d{6,9} (?:\S+\s+(?:In|Out|M|B|P)\s+)?(?:IP6?|ARP|RARP|STP|LLDP|[0-9a-f]{2}(?::[0-9a-f]{2}){5} > |ethertype )/;
// tshark: frame number, relative time, source → destination, protocol, length.
const TSHARK_RE = /^\s*\d+\s+-?\d+\.\d+\s+\S+\s+(?:→|->)\s+\S+\s+\S+\s+\d+\b/;

/** Which tool's per-packet text `text` is, or null. */
export function packetTextTool(text: string): 'tcpdump' | 'tshark' | null {
  const all = text
    .split('\n')
    .slice(0, 4 * LOOK)
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  const share = (lines: string[], re: RegExp): number => (lines.length ? lines.filter((l) => re.test(l)).length / lines.length : 0);
  // tcpdump -v continues a packet on indented lines; tshark right-aligns its frame numbers.
  if (share(all.filter((l) => !/^\s/.test(l)).slice(0, LOOK), TCPDUMP_RE) >= 0.6) return 'tcpdump';
  if (share(all.slice(0, LOOK), TSHARK_RE) >= 0.6) return 'tshark';
  return null;
}

/** How much of a file's beginning `packetTextTool` needs to see (its first lines). */
export const PACKET_TEXT_HEAD_BYTES = 64 * 1024;
