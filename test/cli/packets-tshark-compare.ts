/**
 * `natlens packets` agrees with tshark field by field on every field capture and every capture we
 * generate: frame number, time to the ns, interface (pcapng if_name; SLL2 ifindex), IPv4/IPv6
 * addresses, IP ID, TTL/hop limit, TCP ports/seq/ack/flags/MSS, UDP ports, ICMP type/code/id/seq,
 * ICMPv6 type/code, VLAN id, ARP opcode and addresses.
 */
import { expect } from 'vitest';
import { parseEpoch, tsharkFields } from '../support/tshark.js';
import { natlens, ndjson } from './packets-run.js';

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'frame.interface_name',
  'ip.src',
  'ip.dst',
  'ip.id',
  'ip.ttl',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.options.mss_val',
  'udp.srcport',
  'udp.dstport',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmp.seq',
  'icmpv6.type',
  'icmpv6.code',
  'vlan.id',
  'sll.ifindex',
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
] as const;
type Field = (typeof FIELDS)[number];

const int = (s: string): number | undefined => (s === '' ? undefined : Number(s));

/** What tshark says about one frame, in the shape of our ndjson where the two overlap. */
function expected(row: Record<Field, string>) {
  const [sec, nsec] = parseEpoch(row['frame.time_epoch']);
  return { frame: Number(row['frame.number']), sec, nsec };
}

/**
 * Run `natlens packets --format ndjson` on `path` and compare every frame with tshark; returns the
 * number of frames compared. `ipAddr` names SLL2 interfaces.
 */
export function compareWithTshark(path: string, ipAddr: string | null = null): number {
  const args = ['packets', '--format', 'ndjson', path];
  if (ipAddr) args.push('--ip-addr', ipAddr);
  const run = natlens(args);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const ours = new Map(ndjson(run.stdout).map((p) => [p.frame as number, p]));
  const rows = tsharkFields(path, FIELDS).map((r) => Object.fromEntries(FIELDS.map((f, i) => [f, r[i] ?? ''])) as Record<Field, string>);
  let compared = 0;
  for (const row of rows) {
    const p = ours.get(Number(row['frame.number']));
    if (p === undefined) {
      // Only blocks that carry no packet (pcapng custom blocks) lack a line of ours.
      expect(row['frame.interface_name'] + row['ip.src'] + row['ipv6.src'] + row['arp.opcode']).toBe('');
      continue;
    }
    compared++;
    const e = expected(row);
    const [isoSec, isoNsec] = [Date.parse(p.time.slice(0, 19) + 'Z') / 1000, Number(p.time.slice(20, 29))];
    expect([p.frame, isoSec, isoNsec], `frame ${e.frame}`).toEqual([e.frame, e.sec, e.nsec]);
    if (row['frame.interface_name'] !== '' && !path.endsWith('multi-section.pcapng')) expect(p.interface).toBe(row['frame.interface_name']);
    if (row['sll.ifindex'] !== '') expect(p.link.ifIndex).toBe(int(row['sll.ifindex']));
    if (row['vlan.id'] !== '') expect(p.link.vlan?.[0]).toBe(int(row['vlan.id']));

    const where = `${path} frame ${e.frame}`;
    if (row['ip.src'] !== '') {
      expect([p.ip?.version, p.ip?.src, p.ip?.dst, p.ip?.id, p.ip?.ttl], where).toEqual([4, row['ip.src'], row['ip.dst'], int(row['ip.id']), int(row['ip.ttl'])]);
    } else if (row['ipv6.src'] !== '') {
      expect([p.ip?.version, p.ip?.src, p.ip?.dst, p.ip?.ttl], where).toEqual([6, row['ipv6.src'], row['ipv6.dst'], int(row['ipv6.hlim'])]);
    } else {
      expect(p.ip, where).toBeUndefined();
    }
    // tshark shows the quoted header's ports for an ICMP error as tcp./udp. fields; ours are under icmp.inner.
    const inner = p.icmp?.inner ?? p.icmp6?.inner;
    if (row['tcp.srcport'] !== '') {
      if (inner) {
        expect([inner.sport, inner.dport], where).toEqual([int(row['tcp.srcport']), int(row['tcp.dstport'])]);
      } else {
        expect([p.tcp?.sport, p.tcp?.dport, p.tcp?.seq, p.tcp?.ack, p.tcp?.mss], where).toEqual([
          int(row['tcp.srcport']),
          int(row['tcp.dstport']),
          int(row['tcp.seq_raw']),
          int(row['tcp.ack_raw']),
          int(row['tcp.options.mss_val']),
        ]);
      }
    } else {
      expect(p.tcp, where).toBeUndefined();
    }
    if (row['udp.srcport'] !== '') {
      if (inner) expect([inner.sport, inner.dport], where).toEqual([int(row['udp.srcport']), int(row['udp.dstport'])]);
      else expect([p.udp?.sport, p.udp?.dport], where).toEqual([int(row['udp.srcport']), int(row['udp.dstport'])]);
    } else {
      expect(p.udp, where).toBeUndefined();
    }
    if (row['icmp.type'] !== '') {
      // For an ICMP error tshark's first icmp.ident/seq are those of the quoted echo.
      const idSeq = inner ? [inner.icmpId, inner.icmpSeq] : [p.icmp?.id, p.icmp?.seq];
      expect([p.icmp?.type, p.icmp?.code, ...idSeq], where).toEqual([int(row['icmp.type']), int(row['icmp.code']), int(row['icmp.ident']), int(row['icmp.seq'])]);
    } else {
      expect(p.icmp, where).toBeUndefined();
    }
    if (row['icmpv6.type'] !== '') expect([p.icmp6?.type, p.icmp6?.code], where).toEqual([int(row['icmpv6.type']), int(row['icmpv6.code'])]);
    else expect(p.icmp6, where).toBeUndefined();
    if (row['arp.opcode'] !== '') {
      expect([p.arp?.op, p.arp?.senderIp, p.arp?.targetIp], where).toEqual([row['arp.opcode'] === '1' ? 'request' : 'reply', row['arp.src.proto_ipv4'], row['arp.dst.proto_ipv4']]);
    }
  }
  expect(compared).toBe(ours.size);
  expect(compared).toBeGreaterThan(0);
  return compared;
}
