/**
 * What a snapshot file is, from its content only (never its name: bundles arrive as `out.txt`, `1.log`, …).
 */
import type { SnapshotFileKind } from '../model/snapshot.js';
import { CONNTRACK_LINE_RE } from './conntrack.js';
import { IP_ADDR_HEADER_RE, isIpAddrShortLine } from './ip-addr.js';
import { NEIGH_LINE_RE } from './ip-neigh.js';
import { ROUTE_LINE_RE } from './ip-route.js';
import { RULE_LINE_RE } from './ip-rule.js';
import { detectFamily } from './iptables-save.js';
import { IPSET_CREATE_RE, IPSET_TYPE_RE } from './ipset.js';
import { parseJsonArray } from './json-lines.js';
import { sysctlLineMatches } from './sysctl.js';
import { isSysctlConf } from './sysctl-conf.js';
import { isConntrackStatsLine } from './conntrack-stats.js';
import { isKernelLogLine } from './kernel-log.js';
import { isQdiscDetail, isQdiscHeader } from './tc-qdisc.js';
import { packetTextTool } from '../ingest/packet-text.js';
import { ARP_A_LINE_RE, ARP_N_HEADER_RE, ARP_N_LINE_RE, IFCONFIG_HEADER_RE, ROUTE_N_HEADER_RE, ROUTE_N_LINE_RE } from './net-tools.js';

export interface SniffResult {
  readonly kind: SnapshotFileKind;
  /** Why it was not recognised (kind 'ignored'). */
  readonly reason?: string;
  /** 1-based line that decided against the file (for the explicit-file error). */
  readonly line?: number;
}

/** `nft list ruleset`: the first `table <family> <name> {` line. */
const NFT_TABLE_RE = /^table (?:ip|ip6|inet|arp|bridge|netdev) \S+ \{/m;

/** How many meaningful lines the line-based sniffers look at. */
const SAMPLE = 400;

export function sniffSnapshot(text: string): SnapshotFileKind {
  return sniffDetail(text).kind;
}

export function sniffDetail(text: string): SniffResult {
  const nul = text.indexOf('\0');
  if (nul >= 0) return { kind: 'ignored', reason: 'binary content (NUL bytes)', line: text.slice(0, nul).split('\n').length };
  const trimmed = text.trimStart();
  if (trimmed === '') return { kind: 'ignored', reason: 'empty file', line: 1 };
  // dmesg's lines open with a bracket too: `[ 8123.456789] …`, `[Sun Dec  6 17:12:05 2026] …`.
  if ((trimmed.startsWith('[') && !isKernelLogLine(trimmed.split('\n', 1)[0]!)) || trimmed.startsWith('{')) return sniffJson(text);
  if (/^\*(?:raw|mangle|nat|filter|security)\s*$/m.test(text) && /^(?::\S+ (?:ACCEPT|DROP|-)|COMMIT\s*$|(?:\[\d+:\d+\] )?-A \S+)/m.test(text)) {
    return { kind: detectFamily(text) === 6 ? 'ip6tables-save' : 'iptables-save' };
  }
  if (/^Chain \S+ \((?:policy \S+|\d+ references?)/m.test(text)) return { kind: 'iptables-list' };
  const nft = NFT_TABLE_RE.exec(text);
  if (nft) return { kind: 'nftables' };
  if (IPSET_CREATE_RE.test(text) || (/^Name: \S+\s*$/m.test(text) && IPSET_TYPE_RE.test(text))) return { kind: 'ipset' };
  // The boot configuration: its assignments read as sysctl's, but are not the running values.
  if (isSysctlConf(text)) return { kind: 'sysctl-conf' };

  const lines: { t: string; raw: string; no: number }[] = [];
  const all = text.split('\n');
  for (let k = 0; k < all.length && lines.length < SAMPLE; k++) {
    const raw = all[k]!.replace(/\r$/, '');
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) continue;
    lines.push({ t, raw, no: k + 1 });
  }
  const n = lines.length;
  const count = (f: (l: { t: string; raw: string }) => boolean): number => lines.filter(f).length;
  const spec = count((l) => /^-[PNA] \S+/.test(l.t));
  const addrHeaders = count((l) => IP_ADDR_HEADER_RE.test(l.t));
  const addr =
    // `ip -s addr` / `ip -s link` add counter tables under each link: RX:/TX: headings, then rows of numbers.
    (addrHeaders > 0 ? count((l) => IP_ADDR_HEADER_RE.test(l.t) || /^\s+(?:link\/|inet6? |valid_lft|altname|vf |[RT]X(?: errors)?:|\d[\d ]*$)/.test(l.raw)) : 0) ||
    count((l) => isIpAddrShortLine(l.t));
  const route = count((l) => ROUTE_LINE_RE.test(l.t) || /^nexthop\s/.test(l.t));
  const rule = count((l) => RULE_LINE_RE.test(l.t));
  const neigh = count((l) => NEIGH_LINE_RE.test(l.t));
  const ct = count((l) => CONNTRACK_LINE_RE.test(l.t) || /^conntrack v[\d.]+ \(conntrack-tools\):/.test(l.t));
  const sys = count((l) => sysctlLineMatches(l.t) || l.t.startsWith('sysctl: '));
  const ctStats = count((l) => isConntrackStatsLine(l.t));
  const kernelLog = count((l) => isKernelLogLine(l.t));
  const routeN = count((l) => ROUTE_N_LINE_RE.test(l.t) || ROUTE_N_HEADER_RE.test(l.t) || /^Kernel IP routing table/.test(l.t));
  const arpN = count((l) => ARP_A_LINE_RE.test(l.t) || ARP_N_LINE_RE.test(l.t) || ARP_N_HEADER_RE.test(l.t));
  // tc's blocks: a header line, then indented options and statistics.
  const qdiscHeaders = count((l) => isQdiscHeader(l.t));
  const qdisc = qdiscHeaders > 0 ? count((l) => isQdiscHeader(l.t) || isQdiscDetail(l.raw)) : 0;
  // Neighbour lines also read as host routes; a neighbour table is one whose lines carry NUD states.
  const candidates: [SnapshotFileKind, number][] = [
    ['iptables-S', spec],
    ['ip-addr', addr],
    ['ip-neigh', neigh >= Math.max(1, route * 0.5) ? neigh : 0],
    ['ip-route', route],
    ['route-n', routeN],
    ['arp-n', arpN],
    ['ip-rule', rule],
    ['conntrack', ct],
    ['sysctl', sys],
    ['conntrack-stats', ctStats],
    ['kernel-log', kernelLog],
    ['tc-qdisc', qdisc],
  ];
  candidates.sort((a, b) => b[1] - a[1]);
  const [kind, best] = candidates[0]!;
  // Most lines must read as the winning kind: a README that mentions one route is not a route table.
  if (best > 0 && best >= n * 0.6) return { kind };
  const first = lines[0];
  const ifconfig = lines.find((l) => IFCONFIG_HEADER_RE.test(l.raw));
  if (ifconfig) {
    return {
      kind: 'ignored',
      reason: 'ifconfig output, which natlens does not read: it shows one IPv4 address per interface, so the addresses added beside it (a NAT gateway\'s EIPs, ip addr add) would seem not to be there — give ip addr (or ip -j addr)',
      line: ifconfig.no,
    };
  }
  const tool = packetTextTool(text);
  if (tool) return { kind: 'ignored', reason: `${tool}'s text output, not a capture: natlens reads the packets themselves (pcap, pcapng: tcpdump -w)`, line: first?.no ?? 1 };
  return {
    kind: 'ignored',
    reason: 'none of the snapshot parsers recognises it (iptables-save, iptables -L/-S, nft list ruleset, sysctl, sysctl.d, ip addr/route/rule/neigh, route -n, arp -n, conntrack -L/-S, tc -s qdisc, dmesg)',
    line: first?.no ?? 1,
  };
}

function sniffJson(text: string): SniffResult {
  const arr = parseJsonArray(text);
  if (!arr) {
    // `nft -j list ruleset`: {"nftables": [...]}.
    if (/^\s*\{\s*"nftables"\s*:/.test(text)) return { kind: 'ignored', reason: 'nftables JSON (nft -j list ruleset), which natlens does not read: give the text form, nft list ruleset', line: 1 };
    return { kind: 'ignored', reason: 'JSON that is not an array of objects', line: 1 };
  }
  const objs = arr.items.filter((o) => Object.keys(o).length > 0);
  if (objs.length === 0) return { kind: 'ignored', reason: 'an empty JSON array: cannot tell which command printed it', line: 1 };
  const o = objs[0]!;
  if ('ifname' in o) return { kind: 'ip-addr' };
  // ip -j rule: a priority, and the selectors (a rule `to` an address has a dst too).
  if ('priority' in o && ('src' in o || 'table' in o || 'action' in o)) return { kind: 'ip-rule' };
  if ('dst' in o && ('lladdr' in o || ('state' in o && !('gateway' in o) && !('protocol' in o)))) return { kind: 'ip-neigh' };
  if ('dst' in o) return { kind: 'ip-route' };
  return { kind: 'ignored', reason: 'JSON without the fields of ip -j addr/route/rule/neigh', line: arr.lines[0] ?? 1 };
}
