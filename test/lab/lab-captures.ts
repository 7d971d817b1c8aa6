/**
 * A lab bundle's captures read through tshark (an independent decoder, so the lab is verified without
 * natlens' own code): one record per frame, with the gateway interface it was seen on and whether it was
 * arriving at or leaving the gateway.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsharkFields } from '../support/tshark.js';
import { readLabJson, type LabJson } from './lab-output.js';

export interface LabPacket {
  file: string;
  frame: number;
  /** Gateway interface name: from the file name, the pcapng IDB, or the SLL2 ifindex via ip-addr.json. */
  ifName: string;
  /** 'in': arriving at the gateway on ifName; 'out': sent by the gateway out of ifName. */
  dir: 'in' | 'out';
  pcapngIfName: string;
  arpOp: number | null;
  arpSender: string;
  arpTarget: string;
  src: string;
  dst: string;
  proto: number | null;
  ipLen: number | null;
  ttl: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  icmpMtu: number | null;
  sport: number | null;
  dport: number | null;
  syn: boolean;
  ack: boolean;
  rst: boolean;
  /** IP fragmentation: more fragments follow / this fragment's offset (bytes). */
  mf: boolean;
  fragOffset: number | null;
}

export interface LabBundle {
  dir: string;
  lab: LabJson;
  captureFiles: string[];
  packets: LabPacket[];
  /** Each capture file's first 4 bytes, hex (format magic). */
  magic: Record<string, string>;
  /** Each classic pcap file's link type from its header (1 Ethernet, 101 raw IP, 276 LINUX_SLL2); pcapng: from tshark. */
  linkType: Record<string, number>;
}

const FIELDS = [
  'frame.number', 'frame.interface_name', 'sll.ifindex', 'sll.pkttype', 'sll.src.eth', 'eth.src', 'arp.opcode',
  'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'ip.src', 'ip.dst', 'ip.proto', 'ip.len', 'ip.ttl', 'icmp.type',
  'icmp.code', 'icmp.mtu', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.reset', 'udp.srcport',
  'udp.dstport', 'ip.flags.mf', 'ip.frag_offset',
] as const;

interface IpAddrEntry {
  ifindex: number;
  ifname: string;
  address?: string;
  addr_info?: { family: string; local: string }[];
}

const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));
const bool = (s: string | undefined): boolean => s === '1' || s === 'True' || s === 'true';

export function loadLabBundle(dir: string): LabBundle {
  const lab = readLabJson(dir);
  const links = JSON.parse(readFileSync(join(dir, 'ip-addr.json'), 'utf8')) as IpAddrEntry[];
  const byIndex = new Map(links.map((l) => [l.ifindex, l]));
  const macOf = new Map(links.map((l) => [l.ifname, (l.address ?? '').toLowerCase()]));
  const ownByMac = new Map(links.map((l) => [(l.address ?? '').toLowerCase(), l.ifname]));
  const ownAddresses = new Map(links.map((l) => [l.ifname, new Set((l.addr_info ?? []).map((a) => a.local))]));
  const neighbours = JSON.parse(readFileSync(join(dir, 'ip-neigh.json'), 'utf8')) as { dev: string; lladdr?: string }[];
  const neighbourByMac = new Map(neighbours.filter((n) => n.lladdr).map((n) => [n.lladdr!.toLowerCase(), n.dev]));
  const captureFiles = readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  const packets: LabPacket[] = [];
  const magic: Record<string, string> = {};
  const linkType: Record<string, number> = {};
  for (const file of captureFiles) {
    const path = join(dir, file);
    const head = readFileSync(path).subarray(0, 24);
    magic[file] = head.subarray(0, 4).toString('hex');
    // Classic pcap global header, little-endian as written here: link type at offset 20.
    if (file.endsWith('.pcap')) linkType[file] = head.readUInt32LE(20);
    const fileIf = file.replace(/\.(pcap|pcapng)$/, '');
    for (const row of tsharkFields(path, FIELDS)) {
      const f = (name: (typeof FIELDS)[number]): string => row[FIELDS.indexOf(name)] ?? '';
      let ifName = fileIf;
      let dir: 'in' | 'out';
      if (f('sll.ifindex') !== '') {
        // LINUX_SLL2 (`tcpdump -i any`): the interface index and packet type are in the cooked header;
        // packet type 4 is PACKET_OUTGOING.
        ifName = byIndex.get(Number(f('sll.ifindex')))?.ifname ?? `ifindex-${f('sll.ifindex')}`;
        dir = f('sll.pkttype') === '4' ? 'out' : 'in';
      } else if (f('sll.pkttype') !== '') {
        // LINUX_SLL v1 (`tcpdump -i any -y LINUX_SLL`): no interface index. A packet the gateway sent carries
        // its interface's MAC, one it received the sender's, a neighbour on that interface (ip-neigh.json).
        const mac = f('sll.src.eth').toLowerCase();
        dir = f('sll.pkttype') === '4' ? 'out' : 'in';
        ifName = (dir === 'out' ? ownByMac.get(mac) : neighbourByMac.get(mac)) ?? fileIf;
      } else {
        if (f('frame.interface_name') !== '') ifName = f('frame.interface_name');
        // Raw IP (a point-to-point link has no MAC): the gateway sent what carries one of the interface's own
        // addresses as source — translated requests, replies with the DNAT undone, its own packets.
        if (f('eth.src') === '' && f('ip.src') !== '') dir = ownAddresses.get(ifName)?.has(f('ip.src')) ? 'out' : 'in';
        else dir = f('eth.src').toLowerCase() === macOf.get(ifName) ? 'out' : 'in';
      }
      const proto = num(f('ip.proto'));
      packets.push({
        file,
        frame: Number(f('frame.number')),
        ifName,
        dir,
        pcapngIfName: f('frame.interface_name'),
        arpOp: num(f('arp.opcode')),
        arpSender: f('arp.src.proto_ipv4'),
        arpTarget: f('arp.dst.proto_ipv4'),
        src: f('ip.src'),
        dst: f('ip.dst'),
        proto,
        ipLen: num(f('ip.len')),
        ttl: num(f('ip.ttl')),
        icmpType: proto === 1 ? num(f('icmp.type')) : null,
        icmpCode: proto === 1 ? num(f('icmp.code')) : null,
        icmpMtu: proto === 1 ? num(f('icmp.mtu')) : null,
        // Only the outer transport header: an ICMP error's quoted TCP/UDP header would be the first occurrence.
        sport: proto === 6 ? num(f('tcp.srcport')) : proto === 17 ? num(f('udp.srcport')) : null,
        dport: proto === 6 ? num(f('tcp.dstport')) : proto === 17 ? num(f('udp.dstport')) : null,
        syn: proto === 6 && bool(f('tcp.flags.syn')),
        ack: proto === 6 && bool(f('tcp.flags.ack')),
        rst: proto === 6 && bool(f('tcp.flags.reset')),
        mf: bool(f('ip.flags.mf')),
        fragOffset: num(f('ip.frag_offset')),
      });
    }
  }
  return { dir, lab, captureFiles, packets, magic, linkType };
}

/** Packet predicates, composed by the tests. */
export const on = (ifName: string, dir?: 'in' | 'out') => (p: LabPacket) =>
  p.ifName === ifName && (dir === undefined || p.dir === dir);
export const echoRequest = (src: string, dst: string) => (p: LabPacket) =>
  p.icmpType === 8 && p.src === src && p.dst === dst;
export const echoReply = (src: string, dst: string) => (p: LabPacket) =>
  p.icmpType === 0 && p.src === src && p.dst === dst;
export const arpRequestFor = (target: string) => (p: LabPacket) => p.arpOp === 1 && p.arpTarget === target;
export const arpReplyFrom = (sender: string) => (p: LabPacket) => p.arpOp === 2 && p.arpSender === sender;
export const tcpSyn = (src: string, dst: string, dport: number) => (p: LabPacket) =>
  p.proto === 6 && p.syn && !p.ack && p.src === src && p.dst === dst && p.dport === dport;

export function count(b: LabBundle, ...preds: Array<(p: LabPacket) => boolean>): number {
  return b.packets.filter((p) => preds.every((pred) => pred(p))).length;
}
