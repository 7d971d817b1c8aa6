import type { Evidence } from '../model/analysis.js';
import type { ConntrackEntry, Sysctl } from '../model/host.js';
import { Proto, TcpFlag } from '../model/packet.js';
import type { RuleRef, Trace } from '../model/trace.js';
import { simulate } from '../simulate/simulate.js';
import { retranslated, toSimPacket, type AssembledFlow } from '../correlate/flow-assembly.js';
import { Dir, type PacketInfo } from '../correlate/packet-info.js';
import type { CheckContext } from './check.js';
import { gatewayResets, ruleOf, unmatchedArrivals } from './flow-facts.js';
import { conntrackStatsEvidence, sysctlEvidence } from './evidence.js';
import { sysctlInt } from '../simulate/host-view.js';

/**
 * A TCP connection whose conntrack entry is gone while it goes on: a flush (`conntrack -F`), a gateway restart,
 * a failover to a peer that does not share conntrack state, or an entry that timed out. Its next segments come in
 * mid-stream: with `nf_conntrack_tcp_loose=0` conntrack will not start an entry for them, so they are INVALID —
 * never NATed (the nat table sees only a connection's first packet, and they have none), and dropped by the
 * `--ctstate INVALID -j DROP` hardened gateways carry. Segments to an EIP's port forward, no longer DNATed,
 * are the gateway's own: it answers them with a reset.
 *
 * With pickup on (`nf_conntrack_tcp_loose=1`, the default) the next segment makes a new entry instead, which the
 * nat table takes for a new connection: a SNAT with `--random-fully` (or a port in use) gives it another port, and
 * the far end, which knows only the first, resets it.
 *
 * What the captures show: the flow's packets passed, translated, and from one moment on none passes, both
 * directions — a cut, not a share; or, when the entry was lost before the capture began, a connection without
 * its SYN none of whose packets passes. The snapshot explains it when the flow's stopped segment, walked as
 * INVALID, is dropped by a rule that matches INVALID (`dropped`), or is delivered to the gateway itself and the
 * gateway reset the connection (`reset`). Or the connection left translated one way and then, from a segment that
 * was no SYN, another (`retranslated`), or untranslated, from its own address (`untranslated`: INVALID, and no
 * rule dropped it): the captures prove that alone.
 */
export interface LostConnection {
  readonly face: 'dropped' | 'reset' | 'retranslated' | 'untranslated';
  /** The first segment that stopped, or that left translated anew. */
  readonly packet: PacketInfo;
  /** dropped/reset: the walk of that segment as INVALID (dropped by `rule`, or delivered locally). */
  readonly trace: Trace | null;
  /** dropped: the rule that drops it (matches INVALID); retranslated: the NAT rule that translated it anew, if known. */
  readonly rule: RuleRef | null;
  /** reset: the gateway's, in its own name, after the segment stopped; retranslated: the far end's, on the new translation. */
  readonly resets: readonly PacketInfo[];
  /** retranslated: how the connection left before, and after (address and port). */
  readonly before: { readonly src: number; readonly sport: number } | null;
  readonly after: { readonly src: number; readonly sport: number } | null;
  /** Whether the snapshot's `conntrack -L` holds an entry for the connection (null without one). */
  readonly listed: boolean | null;
}

const lost = new WeakMap<AssembledFlow, LostConnection | null>();

export function lostConnection(ctx: CheckContext, f: AssembledFlow): LostConnection | null {
  let v = lost.get(f);
  if (v === undefined) {
    v = find(ctx, f);
    lost.set(f, v);
  }
  return v;
}

function find(ctx: CheckContext, f: AssembledFlow): LostConnection | null {
  if (f.proto !== Proto.TCP || f.ingressIface < 0) return null;
  const again = f.disposition === 'translation-mismatch' || f.disposition === 'forwarded-untranslated' ? retranslated(f) : null;
  if (again && f.egress) {
    // The far end's resets on the new translation (arriving in reply, whether or not they went on).
    const resets = again.samples.filter((p) => (p.tcpFlags & TcpFlag.RST) !== 0 && p.dir === Dir.IN && p.connDir === 1);
    const rule = f.trace?.rewrites.find((r) => r.kind === 'SNAT' || r.kind === 'MASQUERADE')?.rule ?? null;
    return {
      face: again.src === f.original.src && again.sport === f.original.sport ? 'untranslated' : 'retranslated',
      packet: again.first,
      trace: null,
      rule,
      resets,
      before: { src: f.egress.src, sport: f.egress.sport },
      after: { src: again.src, sport: again.sport },
      listed: listed(ctx, f),
    };
  }
  const snap = ctx.snapshot;
  if (!snap) return null;
  if (f.disposition !== 'partial' && f.disposition !== 'stopped-at-gateway' && f.disposition !== 'reply-not-returned') return null;
  const stopped = unmatchedArrivals(f);
  const first = stopped[0];
  // A SYN that stops is a new connection's: conntrack calls it NEW, not INVALID.
  if (!first || (first.tcpFlags & TcpFlag.SYN) !== 0) return null;
  // A cut: nothing passed after the first segment stopped. A flow none of whose segments passed must have begun
  // before the captures did (no SYN seen): one that began inside them got its entry from its SYN.
  const lastPassed = Math.max(...f.connections.map((c) => c.lastMatchedT));
  if (lastPassed < 0 ? f.sawSyn : lastPassed >= first.t) return null;
  const trace = simulate(toSimPacket(first, ctx.ifaceName(first.iface), 'invalid'), snap, { conntrack: false });
  const d = trace.disposition;
  let rule: RuleRef | null = null;
  let resets: PacketInfo[] = [];
  if (d.kind === 'dropped' && d.rule && takesInvalid(ctx, d.rule)) rule = d.rule;
  else if (d.kind === 'local') resets = gatewayResets(f).filter((p) => p.t >= first.t);
  if (!rule && !resets.length) return null;
  return { face: rule ? 'dropped' : 'reset', packet: first, trace, rule, resets, before: null, after: null, listed: listed(ctx, f) };
}

/** A rule that takes INVALID packets, read from its matches (nft's `ct state invalid` too), or else from its text. */
function takesInvalid(ctx: CheckContext, ref: RuleRef): boolean {
  const rule = ruleOf(ctx, ref);
  if (rule) return rule.matches.some((m) => m.kind === 'ctstate' && !m.negate && m.states.includes('INVALID'));
  return matchesInvalid(ref.text);
}

/** `-m conntrack --ctstate …INVALID…` or `-m state --state …INVALID…`, not negated. */
export function matchesInvalid(ruleText: string): boolean {
  return /(?<!!\s*)--(?:ct)?state\s+(?:\S+,)?INVALID\b/.test(ruleText);
}

/** Whether `conntrack -L` lists the flow's connection (by its tuple as it arrived, or as it left); null without a listing. */
function listed(ctx: CheckContext, f: AssembledFlow): boolean | null {
  const host = ctx.snapshot?.host;
  if (!host?.have.conntrack || !host.conntrack) return null;
  const o = f.original;
  const t = f.observed;
  const same = (e: ConntrackEntry['original'], src: number, dst: number, sport: number, dport: number): boolean =>
    e.src === src && e.dst === dst && e.sport === sport && e.dport === dport;
  return host.conntrack.some(
    (e) =>
      e.protoNum === Proto.TCP &&
      (same(e.original, o.src, o.dst, o.sport, o.dport) ||
        same(e.reply, o.dst, o.src, o.dport, o.sport) ||
        (t !== null && (same(e.reply, t.dst, t.src, t.dport, t.sport) || same(e.original, t.src, t.dst, t.sport, t.dport)))),
  );
}

/** What the snapshot says about picking up connections in mid-stream, and about INVALID packets counted. */
export interface InvalidFacts {
  /** net.netfilter.nf_conntrack_tcp_loose: 0 = a mid-stream segment without an entry is INVALID. */
  readonly loose: Sysctl | null;
  readonly looseValue: number | null;
  /** conntrack -S: packets conntrack called INVALID since boot. */
  readonly invalid: number | null;
  readonly evidence: Evidence[];
}

export function invalidFacts(ctx: CheckContext): InvalidFacts {
  const host = ctx.snapshot?.host;
  const loose = host?.sysctls.get('net.netfilter.nf_conntrack_tcp_loose') ?? null;
  const stats = host?.conntrackStats ?? null;
  const evidence: Evidence[] = [];
  if (loose) evidence.push(sysctlEvidence(loose));
  if (stats && stats.invalid > 0) evidence.push(conntrackStatsEvidence(stats, stats.invalidLines, `invalid=${stats.invalid}`));
  return { loose, looseValue: sysctlInt(loose ?? undefined), invalid: stats ? stats.invalid : null, evidence };
}
