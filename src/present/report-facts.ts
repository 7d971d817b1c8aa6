/**
 * What both postmortem reports (Markdown and HTML) say, worked out once from an Analysis: which finding
 * is the root cause, how the fix splits into "now" and "survives a reboot", the timeline's bursts and the
 * point where forwarding stopped, which rules fired and which never did. The renderers only lay it out.
 */
import type { Analysis, Evidence, Finding, Flow, FlowDisposition, FlowEndpoint, FlowPacket, RuleUsage } from '../model/analysis.js';
import { ipv4ToString } from '../model/address.js';
import { independentCauses } from '../model/causes.js';
import { isoToNs } from './format-time.js';
import { chainLabel } from '../simulate/rule-ref.js';
import { sysctlText } from './sysctl-text.js';

export interface Burst {
  readonly iface: string;
  readonly first: string;
  readonly last: string;
  readonly requests: number;
  readonly replies: number;
  /** Request packets judged and without a copy on the other side. */
  readonly lost: number;
  readonly flows: readonly string[];
  readonly byDisposition: Readonly<Partial<Record<FlowDisposition, number>>>;
}

export interface StopMark {
  readonly time: string;
  readonly iface: string;
  readonly file: string;
  readonly frame: number;
  readonly flow: string;
  /** The interface the copy should have left by. */
  readonly expectedOn: string | null;
}

export interface FixPlan {
  /** Commands that fix the running gateway. */
  readonly now: readonly string[];
  /** Commands/edits that make the fix survive a reboot or a pod restart. */
  readonly persist: readonly string[];
}

export interface ReportFacts {
  /** Directory every input shares (shown once), or '' when they share none. */
  readonly baseDir: string;
  readonly rel: (path: string) => string;
  readonly rootCause: Finding | null;
  /** The root cause and, with two faults at once, each other cause in its own right (causes.ts). */
  readonly rootCauses: readonly Finding[];
  readonly otherFindings: readonly Finding[];
  readonly fixes: ReadonlyMap<Finding, FixPlan>;
  /** Findings about a sysctl whose fix does not already say where it goes in Kube-OVN: the report adds the note. */
  readonly sysctlFindings: ReadonlySet<Finding>;
  readonly bursts: readonly Burst[];
  readonly stop: StopMark | null;
  readonly ifaces: readonly string[];
  readonly flowById: ReadonlyMap<string, Flow>;
  readonly fired: readonly RuleUsage[];
  readonly neverFired: readonly RuleUsage[];
  /** Rules without counters in the snapshot (iptables-save without -c). */
  readonly uncounted: readonly RuleUsage[];
  /** Request packets judged / judged without a copy, over all flows (from the per-flow loss rates). */
  readonly overallLoss: { readonly judged: number; readonly lost: number } | null;
  readonly capturePackets: number;
  readonly captures: number;
  readonly snapshots: number;
}

/** Dispositions that mean "something went wrong" (the affected flows). */
export const PROBLEM_DISPOSITIONS: ReadonlySet<FlowDisposition> = new Set<FlowDisposition>([
  'stopped-at-gateway',
  'forwarded-untranslated',
  'translation-mismatch',
  'no-reply',
  'reply-not-returned',
  'partial',
]);

const SYSCTL_CHECKS = new Set(['ip-forward-disabled', 'rp-filter-drop']);

/**
 * The report's headline: packets stop (an error finding), packets pass, or — when there were flows but none
 * could be judged (one side not captured, captures that do not overlap) — nothing could be followed, which
 * is not the same as "they pass".
 */
export function headline(a: Analysis): { readonly kind: 'stop' | 'ok' | 'unjudged'; readonly title: string; readonly badge: string } {
  if (a.summary.verdict === 'packets-stop') return { kind: 'stop', title: 'Packets stop at the NAT gateway', badge: 'PACKETS STOP' };
  const unjudged = a.flows.length > 0 && a.flows.every((f) => f.disposition === 'outside-capture' || f.disposition === 'local');
  if (unjudged) return { kind: 'unjudged', title: 'Packets could not be followed through the NAT gateway', badge: 'NOT JUDGED' };
  return { kind: 'ok', title: 'Packets pass the NAT gateway', badge: 'OK' };
}

export function reportFacts(analysis: Analysis): ReportFacts {
  const baseDir = commonDir(analysis.inputs.map((i) => i.path));
  const one = (p: string): string => (baseDir && p.startsWith(baseDir) ? p.slice(baseDir.length) : p);
  // A warning about several files names them all, joined by ", ": each is shortened.
  const rel = (p: string): string => p.split(', ').map(one).join(', ');
  // Two faults at once: each cause that explains flows the ones before it do not is a root cause too.
  const causes = independentCauses(analysis.findings);
  const rootCause = causes[0] ?? analysis.findings.find((f) => f.severity === 'warning') ?? null;
  const rootCauses = causes.length ? causes : rootCause ? [rootCause] : [];
  const otherFindings = analysis.findings.filter((f) => !rootCauses.includes(f));
  const fixes = new Map<Finding, FixPlan>();
  const sysctlFindings = new Set<Finding>();
  for (const f of analysis.findings) {
    fixes.set(f, splitFix(f.fix));
    // The fix list may carry the Kube-OVN advice itself; then the report does not repeat it.
    const saysKubeOvn = f.fix.some((c) => /kube-ovn/i.test(c));
    if ((SYSCTL_CHECKS.has(f.check) || f.evidence.some((e) => e.kind === 'sysctl')) && !saysKubeOvn) sysctlFindings.add(f);
  }
  const flowById = new Map(analysis.flows.map((f) => [f.id, f] as const));
  const ifaces = interfaceOrder(analysis);
  const fired: RuleUsage[] = [];
  const neverFired: RuleUsage[] = [];
  const uncounted: RuleUsage[] = [];
  for (const r of analysis.rules) {
    if (!r.counters) uncounted.push(r);
    else if (r.counters.packets > 0) fired.push(r);
    else neverFired.push(r);
  }
  let judged = 0;
  let lost = 0;
  for (const f of analysis.flows) {
    if (f.lossRate === null) continue;
    const n = f.packets[f.ingress]?.request ?? 0;
    judged += n;
    lost += Math.round(f.lossRate * n);
  }
  const captures = analysis.inputs.filter((i) => i.kind === 'capture');
  return {
    baseDir,
    rel,
    rootCause,
    rootCauses,
    otherFindings,
    fixes,
    sysctlFindings,
    bursts: bursts(analysis, ifaces),
    stop: stopMark(analysis),
    ifaces,
    flowById,
    fired,
    neverFired,
    uncounted,
    overallLoss: judged > 0 ? { judged, lost } : null,
    capturePackets: captures.reduce((n, i) => n + i.packets, 0),
    captures: captures.length,
    snapshots: analysis.inputs.filter((i) => i.kind === 'snapshot').length,
  };
}

/**
 * A finding's fix list puts the commands that fix the running box first and the ones that make it
 * persistent after them (model/analysis.ts). Tell them apart by what they touch: a file under /etc,
 * `sysctl --system`/`-p` (re-reading those files), a save/persist tool, or a kubectl patch of the
 * gateway's spec all outlive a reboot.
 */
export function splitFix(fix: readonly string[]): FixPlan {
  const now: string[] = [];
  const persist: string[] = [];
  for (const cmd of fix) {
    if (/\/etc\/|sysctl\s+(--system|-p\b)|iptables-save\s*>|netfilter-persistent|persist|kubectl\s+(patch|apply|edit)|reboot/i.test(cmd)) persist.push(cmd);
    else if (persist.length > 0) persist.push(cmd);
    else now.push(cmd);
  }
  return { now, persist };
}

function commonDir(paths: readonly string[]): string {
  const dirs = paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : ''));
  if (dirs.length === 0) return '';
  let prefix = dirs[0] ?? '';
  for (const d of dirs) {
    while (prefix && !d.startsWith(prefix)) {
      const cut = prefix.slice(0, -1).lastIndexOf('/');
      prefix = cut >= 0 ? prefix.slice(0, cut + 1) : '';
    }
  }
  return prefix;
}

/** Inside first, then outside, then any other interface a capture holds, in capture order. */
function interfaceOrder(a: Analysis): string[] {
  const out: string[] = [];
  const add = (n: string | null | undefined): void => {
    if (n && !out.includes(n)) out.push(n);
  };
  add(a.interfaces.inside);
  add(a.interfaces.outside);
  for (const w of a.capture.windows) add(w.iface);
  for (const f of a.flows) for (const k of Object.keys(f.packets).sort()) add(k);
  return out;
}

export type SampledPacket = { readonly flow: Flow; readonly p: FlowPacket; readonly ns: bigint };

/**
 * Every sampled packet of every flow, in time order (nanosecond-exact). Made once per analysis: a flow's samples
 * are made each time they are read (public-flow.ts), and the bursts, the stop mark and the timeline of each report
 * read them all — for 100,000 flows six times 800,000 packets, most of a report's 40 s.
 */
export function samplePackets(a: Analysis): readonly SampledPacket[] {
  let all = SAMPLED.get(a);
  if (all) return all;
  const made: SampledPacket[] = [];
  for (const flow of a.flows) for (const p of flow.samples) made.push({ flow, p, ns: isoToNs(p.time) });
  made.sort((x, y) => (x.ns < y.ns ? -1 : x.ns > y.ns ? 1 : 0));
  SAMPLED.set(a, (all = made));
  return all;
}

const SAMPLED = new WeakMap<Analysis, readonly SampledPacket[]>();

/** True when this packet should have had a copy on the other interface and has none. */
export function isLost(flow: Flow, p: FlowPacket): boolean {
  return p.judged && p.match === null && !p.copyNotCaptured && p.direction === 'request' && p.iface === flow.ingress && PROBLEM_DISPOSITIONS.has(flow.disposition);
}

/**
 * The interface a flow should leave by: its egress when something left, otherwise the other side of
 * the gateway (inside ↔ outside). Null for a flow on neither role's interface.
 */
export function egressOf(flow: Flow, a: Pick<Analysis, 'interfaces'>): string | null {
  if (flow.egress) return flow.egress;
  const { inside, outside } = a.interfaces;
  if (flow.ingress === inside) return outside;
  if (flow.ingress === outside) return inside;
  return null;
}

/**
 * What the gateway should do with the flow, in words: the expected translation and its rule when the
 * simulator reached the egress, otherwise its NAT rewrites so far and where its walk ended
 * (`DNAT 203.0.113.71 → 10.0.4.10 (nat EXCLUSIVE_DNAT iptables-save.txt:17), then dropped at forwarding: …`).
 */
export function expectedText(flow: Flow, rel: (p: string) => string): string | null {
  if (flow.expected) {
    const r = flow.expected.rule;
    return `${natChange(flow.original, flow.expected, flow.proto)}${flow.expected.portsMayChange ? ', ports may change,' : ''}${r ? ` by ${chainLabel(r.table, r.chain)} ${rel(r.file)}:${r.line}` : ''}`;
  }
  if (!flow.trace) return null;
  const parts = flow.trace.rewrites.map(
    (w) => `${w.kind} ${tupleChange(w.kind, w.before, w.after, flow.proto)} by ${chainLabel(w.rule.table, w.rule.chain)} ${rel(w.rule.file)}:${w.rule.line}`,
  );
  // The simulator's disposition names files by full path; shorten them like everything else.
  const end = flow.trace.disposition.replace(/(\/[^\s:()]+)+/g, (m) => rel(m));
  parts.push(end);
  return parts.join(', then ');
}

function tupleChange(kind: string, b: { src: number; dst: number; sport: number; dport: number }, a: { src: number; dst: number; sport: number; dport: number }, proto: Flow['proto']): string {
  const icmp = proto === 'icmp' || proto === 'icmpv6';
  const port = (x: number, changed: boolean): string => (!icmp && changed && x ? `:${x}` : '');
  if (kind === 'DNAT' || kind === 'REDIRECT') return `${ipv4ToString(b.dst)}${port(b.dport, b.dport !== a.dport)} → ${ipv4ToString(a.dst)}${port(a.dport, b.dport !== a.dport)}`;
  return `${ipv4ToString(b.src)}${port(b.sport, b.sport !== a.sport)} → ${ipv4ToString(a.src)}${port(a.sport, b.sport !== a.sport)}`;
}


/**
 * Group each interface's packets into bursts: a new burst starts after a quiet gap. The gap grows
 * until an interface has at most MAX_BURSTS bursts, so the table stays compact for long captures.
 */
const MAX_BURSTS = 8;
function bursts(a: Analysis, ifaces: readonly string[]): Burst[] {
  const pk = samplePackets(a);
  const dispositionOf = new Map(a.flows.map((f) => [f.id, f.disposition] as const));
  const out: Burst[] = [];
  for (const iface of ifaces) {
    const mine = pk.filter((x) => x.p.iface === iface);
    if (mine.length === 0) continue;
    const span = Number(mine[mine.length - 1]!.ns - mine[0]!.ns);
    let gap = Math.max(1e8, span / 10);
    let groups = split(mine, gap);
    while (groups.length > MAX_BURSTS) {
      gap *= 2;
      groups = split(mine, gap);
    }
    for (const g of groups) {
      const flows = [...new Set(g.map((x) => x.flow.id))];
      const byDisposition: Partial<Record<FlowDisposition, number>> = {};
      for (const id of flows) {
        const d = dispositionOf.get(id)!;
        byDisposition[d] = (byDisposition[d] ?? 0) + 1;
      }
      out.push({
        iface,
        first: g[0]!.p.time,
        last: g[g.length - 1]!.p.time,
        requests: g.filter((x) => x.p.direction === 'request').length,
        replies: g.filter((x) => x.p.direction === 'reply').length,
        lost: g.filter((x) => isLost(x.flow, x.p)).length,
        flows,
        byDisposition,
      });
    }
  }
  return out;
}

function split<T extends { ns: bigint }>(xs: readonly T[], gapNs: number): T[][] {
  const groups: T[][] = [];
  let cur: T[] = [];
  let prev: bigint | null = null;
  for (const x of xs) {
    if (prev !== null && Number(x.ns - prev) > gapNs) {
      groups.push(cur);
      cur = [];
    }
    cur.push(x);
    prev = x.ns;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/** The first judged packet that arrived and had no copy leave: where forwarding was seen to stop. */
function stopMark(a: Analysis): StopMark | null {
  for (const { flow, p } of samplePackets(a)) {
    if (isLost(flow, p)) return { time: p.time, iface: p.iface, file: p.file, frame: p.frame, flow: flow.id, expectedOn: egressOf(flow, a) };
  }
  return null;
}

/** `10.0.4.10:33118 → 198.51.100.29:80`, `10.0.4.11 → 198.51.100.29 id 20717` (ICMP echo). */
export function endpoint(e: FlowEndpoint, proto: Flow['proto']): string {
  if (proto === 'icmp' || proto === 'icmpv6') return `${e.src} → ${e.dst}${e.sport !== null ? ` id ${e.sport}` : ''}`;
  const port = (p: number | null): string => (p === null ? '' : `:${p}`);
  return `${e.src}${port(e.sport)} → ${e.dst}${port(e.dport)}`;
}

/** What NAT did (or should do) to a flow, as `SNAT 10.0.4.10 → 203.0.113.71` / `DNAT …`. */
export function natChange(from: FlowEndpoint, to: FlowEndpoint, proto: Flow['proto']): string {
  const parts: string[] = [];
  const icmp = proto === 'icmp' || proto === 'icmpv6';
  // Show a port only when it changed: `SNAT 10.0.4.10 → 203.0.113.71`, `DNAT 203.0.113.72:8080 → 10.0.4.11:80`.
  const side = (addrA: string, portA: number | null, addrB: string, portB: number | null): string => {
    const portChanged = !icmp && portA !== portB;
    return `${addrA}${portChanged && portA !== null ? `:${portA}` : ''} → ${addrB}${portChanged && portB !== null ? `:${portB}` : ''}`;
  };
  if (from.src !== to.src || (!icmp && from.sport !== to.sport)) parts.push(`SNAT ${side(from.src, from.sport, to.src, to.sport)}`);
  if (from.dst !== to.dst || from.dport !== to.dport) parts.push(`DNAT ${side(from.dst, from.dport, to.dst, to.dport)}`);
  if (icmp && from.sport !== to.sport && from.sport !== null && to.sport !== null) parts.push(`echo id ${from.sport} → ${to.sport}`);
  return parts.length ? parts.join(', ') : 'no translation';
}

/** One line of evidence, plain text (renderers escape it). */
export function evidenceText(e: Evidence, rel: (p: string) => string): { readonly where: string; readonly what: string } {
  switch (e.kind) {
    case 'frame':
      return { where: `${rel(e.file)} frame ${e.frame}`, what: `${e.iface} · ${e.summary}` };
    case 'rule':
      return { where: `${rel(e.file)}:${e.line}`, what: `${chainLabel(e.table, e.chain)}: ${e.text}${counterText(e.counters)}` };
    case 'policy':
      return { where: `${rel(e.file)}:${e.line}`, what: `${chainLabel(e.table, e.chain)} policy ${e.policy}${counterText(e.counters)}` };
    case 'sysctl':
      return { where: `${rel(e.file)}:${e.line}`, what: sysctlText(e) };
    case 'note':
      return { where: '', what: e.text };
    default:
      return { where: `${rel(e.file)}:${e.line}`, what: `${e.kind}: ${e.text}` };
  }
}

export function counterText(c: { readonly packets: number; readonly bytes: number } | null): string {
  return c ? ` [${c.packets} pkts, ${c.bytes} bytes]` : '';
}

export function pct(x: number | null): string {
  if (x === null) return '–';
  return `${(x * 100).toFixed(x === 0 || x === 1 ? 0 : 1)} %`;
}

/** Flow ids in a report's cell or line: the first 12, then how many more. */
export function flowList(ids: readonly string[]): string {
  const max = 12;
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

/** `5 ↑ / 0 ↓` request/reply counts on one interface. */
export function countsText(c: { readonly request: number; readonly reply: number } | undefined): string {
  if (!c) return '0 / 0';
  return `${c.request} / ${c.reply}`;
}

/** The Kube-OVN note: where a sysctl fix must be applied so that it sticks. */
export const KUBE_OVN_SYSCTL_NOTE =
  'Kube-OVN: the VPC NAT gateway is a pod; its sysctls belong to the pod\'s network namespace. Run the commands inside the gateway pod (kubectl -n kube-system exec vpc-nat-gw-GATEWAY-0 -- …) to fix it now. To make it survive pod restarts and node reboots, set the sysctl on the node that runs the NAT gateway pod (a file in /etc/sysctl.d/ there, e.g. net.ipv4.ip_forward = 1, then sysctl --system), and check that nothing in the node\'s provisioning resets it.';

/** Affected flows first (in id order), then the rest; ids compare by their number (f2 before f10). */
export function orderedFlows(flows: readonly Flow[]): Flow[] {
  const rank = (f: Flow): number => (f.disposition === 'delivered' || f.disposition === 'local' ? 1 : 0);
  return [...flows].sort((x, y) => rank(x) - rank(y) || idNum(x.id) - idNum(y.id) || x.id.localeCompare(y.id));
}

function idNum(id: string): number {
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}
