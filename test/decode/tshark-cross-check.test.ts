/**
 * Decoder-level oracle: every packet of the real field captures and of our namespace captures, field by
 * field against tshark, including the header an ICMP error quotes (tshark lists outer then inner
 * occurrences). IP reassembly is switched off in tshark so each fragment is compared as captured.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { ipv4ToString, ipv6ToString } from '../../src/model/address.js';
import type { DecodedPacket } from '../../src/model/packet.js';
import { Net, newDecodedPacket, Proto } from '../../src/model/packet.js';
import { HAVE_TSHARK } from '../support/tshark.js';
import { spawnSync } from 'node:child_process';

const FIELD = join(import.meta.dirname, '../../../shared/field');
const OURS = join(import.meta.dirname, 'fixtures/captures');

function captures(): string[] {
  const out: string[] = [];
  if (existsSync(FIELD)) {
    for (const s of readdirSync(FIELD).sort())
      for (const f of readdirSync(join(FIELD, s)).sort()) if (f.endsWith('.pcap')) out.push(join(FIELD, s, f));
  }
  for (const f of readdirSync(OURS).sort()) if (f.endsWith('.pcap')) out.push(join(OURS, f));
  return out;
}

type Ours = (d: DecodedPacket) => number[] | string[];
/** `full`: we decode the quoted header's value too, so the whole outer,inner list must match. */
interface Check {
  readonly ours: Ours;
  readonly full: boolean;
}

const v4 = (d: DecodedPacket) => d.net === Net.IPV4;
const v6 = (d: DecodedPacket) => d.net === Net.IPV6;
const innerIs = (d: DecodedPacket, p: number) => d.inner.present && d.inner.proto === p;
const withInner4 = <T,>(d: DecodedPacket, outer: T, inner: T): T[] => (v4(d) && d.inner.present ? [outer, inner] : [outer]);
const withInner6 = <T,>(d: DecodedPacket, outer: T, inner: T): T[] => (v6(d) && d.inner.present ? [outer, inner] : [outer]);
const isEcho4 = (t: number) => t === 0 || t === 8 || t === 13 || t === 14;
const isEcho6 = (t: number) => t === 128 || t === 129;

const CHECKS: Record<string, Check> = {
  'ip.src': { full: true, ours: (d) => withInner4(d, ipv4ToString(d.src), ipv4ToString(d.inner.src)) },
  'ip.dst': { full: true, ours: (d) => withInner4(d, ipv4ToString(d.dst), ipv4ToString(d.inner.dst)) },
  'ip.id': { full: true, ours: (d) => withInner4(d, d.ipId, d.inner.ipId) },
  'ip.ttl': { full: true, ours: (d) => withInner4(d, d.ttl, d.inner.ttl) },
  'ip.len': { full: true, ours: (d) => withInner4(d, d.ipTotalLength, d.inner.totalLength) },
  'ip.flags.df': { full: false, ours: (d) => [d.df ? 1 : 0] },
  'ip.flags.mf': { full: false, ours: (d) => [d.mf ? 1 : 0] },
  'ip.frag_offset': { full: false, ours: (d) => [d.fragOffset / 8] },
  'ip.proto': { full: true, ours: (d) => withInner4(d, d.proto, d.inner.proto) },
  'tcp.srcport': { full: true, ours: (d) => [innerIs(d, Proto.TCP) ? d.inner.sport : d.sport] },
  'tcp.dstport': { full: true, ours: (d) => [innerIs(d, Proto.TCP) ? d.inner.dport : d.dport] },
  'tcp.seq_raw': { full: true, ours: (d) => [innerIs(d, Proto.TCP) ? d.inner.tcpSeq : d.tcpSeq] },
  'tcp.ack_raw': { full: false, ours: (d) => [d.tcpAck] },
  'tcp.flags': { full: false, ours: (d) => [d.tcpFlags] },
  'tcp.window_size_value': { full: false, ours: (d) => [d.tcpWindow] },
  'tcp.options.mss_val': { full: false, ours: (d) => [d.tcpMss] },
  'tcp.len': { full: false, ours: (d) => [d.payloadLength] },
  'udp.srcport': { full: true, ours: (d) => [innerIs(d, Proto.UDP) ? d.inner.sport : d.sport] },
  'udp.dstport': { full: true, ours: (d) => [innerIs(d, Proto.UDP) ? d.inner.dport : d.dport] },
  'icmp.type': {
    full: true,
    ours: (d) => (innerIs(d, Proto.ICMP) ? [d.icmpType, d.inner.icmpType] : [d.icmpType]),
  },
  'icmp.code': { full: false, ours: (d) => [d.icmpCode] },
  'icmp.ident': { full: true, ours: (d) => [isEcho4(d.icmpType) ? d.icmpId : d.inner.icmpId] },
  'icmp.seq': { full: true, ours: (d) => [isEcho4(d.icmpType) ? d.icmpSeq : d.inner.icmpSeq] },
  'icmp.mtu': { full: true, ours: (d) => [d.icmpMtu] },
  'icmp.redir_gw': { full: true, ours: (d) => [ipv4ToString(d.icmpGateway)] },
  'ipv6.src': { full: true, ours: (d) => withInner6(d, ipv6ToString(d.src6), ipv6ToString(d.inner.src6)) },
  'ipv6.dst': { full: true, ours: (d) => withInner6(d, ipv6ToString(d.dst6), ipv6ToString(d.inner.dst6)) },
  'ipv6.hlim': { full: true, ours: (d) => withInner6(d, d.ttl, d.inner.ttl) },
  'ipv6.flow': { full: false, ours: (d) => [d.flowLabel] },
  'ipv6.plen': { full: true, ours: (d) => withInner6(d, d.ipTotalLength - 40, d.inner.totalLength - 40) },
  'ipv6.fraghdr.offset': { full: false, ours: (d) => [d.fragOffset / 8] },
  'ipv6.fraghdr.ident': { full: false, ours: (d) => [d.ipId] },
  'icmpv6.type': {
    full: true,
    ours: (d) => (innerIs(d, Proto.ICMPV6) ? [d.icmpType, d.inner.icmpType] : [d.icmpType]),
  },
  'icmpv6.code': { full: false, ours: (d) => [d.icmpCode] },
  'icmpv6.echo.identifier': { full: true, ours: (d) => [isEcho6(d.icmpType) ? d.icmpId : d.inner.icmpId] },
  'icmpv6.echo.sequence_number': { full: true, ours: (d) => [isEcho6(d.icmpType) ? d.icmpSeq : d.inner.icmpSeq] },
  'icmpv6.mtu': { full: true, ours: (d) => [d.icmpMtu] },
  'icmpv6.nd.ns.target_address': { full: true, ours: (d) => [ipv6ToString(d.ndTarget6)] },
  'icmpv6.nd.na.target_address': { full: true, ours: (d) => [ipv6ToString(d.ndTarget6)] },
  'sll.pkttype': { full: true, ours: (d) => [d.packetType] },
  'sll.ifindex': { full: true, ours: (d) => [d.ifIndex] },
  'vlan.id': { full: false, ours: (d) => [d.vlanIds[d.vlanCount - 1] ?? -1] },
  'arp.opcode': { full: true, ours: (d) => [d.arpOp] },
  'arp.src.proto_ipv4': { full: true, ours: (d) => [ipv4ToString(d.arpSpa)] },
  'arp.dst.proto_ipv4': { full: true, ours: (d) => [ipv4ToString(d.arpTpa)] },
};
const NAMES = Object.keys(CHECKS);

/** Numbers as numbers whatever base tshark prints them in (ip.id is hex); addresses stay strings. */
function norm(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return /^(0x[0-9a-f]+|\d+)$/i.test(v) ? String(Number(v)) : v;
}

function tshark(file: string): string[][] {
  const args = ['-n', '-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];
  args.push('-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.number');
  for (const n of NAMES) args.push('-e', n);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe.skipIf(!HAVE_TSHARK)('decoder agrees with tshark', () => {
  it.each(captures())('%s', (file) => {
    const rows = tshark(file);
    const d = newDecodedPacket();
    const mismatches: string[] = [];
    let frames = 0;
    let compared = 0;
    for (const rec of openCapture(file).records()) {
      const row = rows[rec.frame - 1];
      expect(row?.[0]).toBe(String(rec.frame));
      decodePacket(rec.linkType, rec.data, d);
      frames++;
      NAMES.forEach((name, i) => {
        const cell = row![i + 1] ?? '';
        if (cell === '') return;
        const check = CHECKS[name]!;
        let want = cell.split('|').map((x) => (name === 'tcp.flags' ? String(Number(x) & 0xff) : norm(x)));
        const got = check.ours(d).map(norm);
        if (!check.full) want = want.slice(0, 1);
        compared++;
        if (want.join('|') !== got.join('|')) mismatches.push(`frame ${rec.frame} ${name}: tshark ${want.join('|')}, ours ${got.join('|')}`);
      });
    }
    expect(frames).toBe(rows.length);
    expect(compared).toBeGreaterThan(frames);
    expect(mismatches).toEqual([]);
  });
});
