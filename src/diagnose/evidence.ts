import type { Evidence } from '../model/analysis.js';
import type { RuleRef } from '../model/trace.js';
import type { Chain, TableName } from '../model/ruleset.js';
import type { ConntrackStats, Neighbour, Sysctl } from '../model/host.js';
import type { SourceRef } from '../model/source.js';
import { ipv4ToString } from '../model/address.js';
import { isoNs } from '../model/time.js';
import { Proto } from '../model/packet.js';
import type { PacketInfo } from '../correlate/packet-info.js';
import type { QuotedError } from '../correlate/connection.js';
import type { CheckContext } from './check.js';

const TCP_FLAG_NAMES = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W'];

function tcpFlags(f: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) if (f & (1 << i)) s += TCP_FLAG_NAMES[i];
  return s || 'none';
}

/** `10.0.4.10 > 198.51.100.29: ICMP echo request id 20718 seq 1, ttl 64, id 0` — one packet in a line. */
export function describePacket(p: PacketInfo): string {
  const src = ipv4ToString(p.src);
  const dst = ipv4ToString(p.dst);
  let what: string;
  if (p.proto === Proto.ICMP) {
    const kind = p.icmpType === 8 ? 'echo request' : p.icmpType === 0 ? 'echo reply' : `type ${p.icmpType} code ${p.icmpCode}`;
    what = `${src} > ${dst}: ICMP ${kind}${p.icmpType === 8 || p.icmpType === 0 ? ` id ${p.sport} seq ${p.icmpSeq}` : ''}`;
  } else if (p.proto === Proto.TCP) {
    what = `${src}.${p.sport} > ${dst}.${p.dport}: TCP [${tcpFlags(p.tcpFlags)}] seq ${p.tcpSeq}`;
  } else if (p.proto === Proto.UDP) {
    what = `${src}.${p.sport} > ${dst}.${p.dport}: UDP length ${p.payloadLength}`;
  } else {
    what = `${src} > ${dst}: proto ${p.proto}`;
  }
  return `${what}, ttl ${p.ttl}, id ${p.ipId}, length ${p.length}`;
}

export function frameEvidence(ctx: CheckContext, p: PacketInfo, note = ''): Evidence {
  return {
    kind: 'frame',
    file: ctx.files[p.file]!,
    iface: ctx.ifaceName(p.iface),
    frame: p.frame,
    time: isoNs(p.tsSec, p.tsNsec),
    summary: note ? `${describePacket(p)} — ${note}` : describePacket(p),
  };
}

export function errorEvidence(ctx: CheckContext, e: QuotedError, what: string): Evidence {
  return {
    kind: 'frame',
    file: ctx.files[e.file]!,
    iface: ctx.ifaceName(e.iface),
    frame: e.frame,
    time: isoNs(e.tsSec, e.tsNsec),
    summary: `${ipv4ToString(e.src)}: ICMP type ${e.type} code ${e.code}${e.mtu ? ` (mtu ${e.mtu})` : ''} — ${what}`,
  };
}

export function ruleEvidence(r: RuleRef): Evidence {
  return { kind: 'rule', file: r.file, line: r.line, table: r.table, chain: r.chain, text: r.text, counters: r.counters };
}

/** A built-in chain's policy, with its line and counters: what takes a packet no rule of the chain decided. */
export function policyEvidence(table: TableName, chain: Chain): Evidence {
  return { kind: 'policy', file: chain.source.file, line: chain.source.line, table, chain: chain.name, policy: chain.policy ?? 'DROP', counters: chain.policyCounters };
}

export function sysctlEvidence(s: Sysctl): Evidence {
  return { kind: 'sysctl', file: s.source.file, line: s.source.line, key: s.key, value: s.value };
}

/** The sysctl a trace step cited, by its source line. */
export function sysctlAt(ctx: CheckContext, src: SourceRef | null): Sysctl | null {
  if (!src || !ctx.snapshot) return null;
  for (const s of ctx.snapshot.host.sysctls.values()) if (s.source.file === src.file && s.source.line === src.line) return s;
  return null;
}

/** A captured frame known by where it is (file, frame, time), not as a packet: an ARP, a frame left out. */
export function frameAtEvidence(ctx: CheckContext, at: { readonly file: number; readonly frame: number; readonly tsSec: number; readonly tsNsec: number }, iface: number, summary: string): Evidence {
  return { kind: 'frame', file: ctx.files[at.file]!, iface: ctx.ifaceName(iface), frame: at.frame, time: isoNs(at.tsSec, at.tsNsec), summary };
}

/** A neighbour table entry (ip neigh): address, device, link-layer address, states. */
export function neighbourEvidence(n: Neighbour): Evidence {
  return { kind: 'neighbour', file: n.source.file, line: n.source.line, text: `${n.address} dev ${n.dev} ${n.lladdr ?? ''} ${n.states.join(',')}`.replace(/\s+/g, ' ') };
}

/** conntrack -S: the first of `lines` (the CPUs that count what is asked), else its first line with `fallback`. */
export function conntrackStatsEvidence(stats: ConntrackStats, lines: ConntrackStats['dropLines'], fallback: string): Evidence {
  const l = lines[0];
  return { kind: 'conntrack', file: stats.source.file, line: l?.line ?? stats.source.line, text: l?.text ?? fallback };
}

/** Up to `n` evidence items, without repeats (same file and line/frame). */
export function uniqueEvidence(items: readonly Evidence[], n = 12): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const e of items) {
    // Routes from `ip -j route` all share its one line: told apart by their text.
    const k = e.kind === 'frame' ? `f|${e.file}|${e.frame}` : e.kind === 'note' ? `n|${e.text}` : e.kind === 'route' ? `r|${e.file}|${e.line}|${e.text}` : `${e.kind}|${e.file}|${e.line}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}
