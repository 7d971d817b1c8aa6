import type { Evidence } from '../model/analysis.js';
import type { DropReason, RuleRef, Trace, TraceStep } from '../model/trace.js';
import { Proto, TcpFlag } from '../model/packet.js';
import { simulate } from '../simulate/simulate.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';
import { Dir, type PacketInfo } from '../correlate/packet-info.js';
import type { CheckContext } from './check.js';
import { cidrContains } from '../model/address.js';
import type { InterfaceAddress } from '../model/host.js';
import { TABLE_NAMES, type Chain, type Rule, type TableName } from '../model/ruleset.js';
import type { SourceRef } from '../model/source.js';
import type { NftBaseChain } from '../model/nftables.js';
import { frameEvidence, ruleEvidence } from './evidence.js';
import { gatewayOwnAddresses } from './arp-facts.js';
import type { QuotedError } from '../correlate/connection.js';

/** ICMP destination unreachable, fragmentation needed (RFC 1191): what a router answers a DF packet above its MTU with. */
export function isFragNeeded(type: number, code: number): boolean {
  return type === 3 && code === 4;
}

export function droppedBy(f: AssembledFlow, reason: DropReason): boolean {
  return f.trace?.disposition.kind === 'dropped' && f.trace.disposition.reason === reason;
}

const replyTraces = new WeakMap<AssembledFlow, Trace | null>();

/**
 * What the gateway does to a flow's replies as they arrive on its egress interface: conntrack has undone the
 * translation of their destination in PREROUTING (the nat table does not see them), so they are routed to
 * the flow's original source, and FORWARD sees the replier as their source. Null without a snapshot, an
 * egress connection or an observed translation, and for flows that expect no reply. Worked out once per flow.
 */
export function replyTrace(ctx: CheckContext, f: AssembledFlow): Trace | null {
  const known = replyTraces.get(f);
  if (known !== undefined) return known;
  let t: Trace | null = null;
  const obs = f.observed;
  const icmp = f.proto === Proto.ICMP;
  if (ctx.snapshot && f.egress && obs && (!icmp || f.first.icmpType === 8)) {
    t = simulate(
      {
        ingress: ctx.ifaceName(f.egress.iface),
        src: obs.dst,
        dst: f.original.src,
        proto: f.proto,
        sport: icmp ? 0 : obs.dport,
        dport: icmp ? 0 : f.original.sport,
        icmpType: icmp ? 0 : -1,
        icmpCode: icmp ? 0 : -1,
        icmpId: icmp ? f.original.sport : -1,
        size: f.first.length,
        df: f.first.df,
        state: 'established',
        mark: 0,
      },
      ctx.snapshot,
      // Replies go back the way the flow came in (what a snapshot without routes cannot say).
      { assumeEgress: ctx.ifaceName(f.ingressIface), assumeEgressWhy: 'the way the flow came in' },
    );
  }
  replyTraces.set(f, t);
  return t;
}

const errorTraces = new WeakMap<AssembledFlow, { readonly error: QuotedError; readonly trace: Trace } | null>();

/**
 * An ICMP error about the flow from a host beyond the gateway (fragmentation needed, unreachable, time exceeded) that
 * arrived on its egress and never left by its ingress, and what the gateway does to it: conntrack finds the flow's
 * connection in the error's quoted header (RELATED), undoes the NAT on it, and routes it to the flow's source, so
 * FORWARD sees it from the host that sent it. Null when there is none, or it was relayed; worked out once per flow.
 */
export function unrelayedErrorTrace(ctx: CheckContext, f: AssembledFlow): { readonly error: QuotedError; readonly trace: Trace } | null {
  const known = errorTraces.get(f);
  if (known !== undefined) return known;
  let v: { error: QuotedError; trace: Trace } | null = null;
  const e = unrelayedError(ctx, f);
  if (ctx.snapshot && e) {
    const trace = simulate(
      { ingress: ctx.ifaceName(e.iface), src: e.src, dst: f.original.src, proto: Proto.ICMP, sport: 0, dport: 0, icmpType: e.type, icmpCode: e.code, icmpId: -1, size: 576, df: false, state: 'related', mark: 0 },
      ctx.snapshot,
      { assumeEgress: ctx.ifaceName(f.ingressIface), assumeEgressWhy: 'the way the flow came in' },
    );
    v = { error: e, trace };
  }
  errorTraces.set(f, v);
  return v;
}

const unrelayed = new WeakMap<AssembledFlow, QuotedError | null>();

/**
 * The first ICMP error about the flow from a host beyond the gateway that arrived on its egress and never left by its
 * ingress. Worked out once per flow: the runner asks it of every flow, and checks again of theirs.
 */
export function unrelayedError(ctx: CheckContext, f: AssembledFlow): QuotedError | null {
  const known = unrelayed.get(f);
  if (known !== undefined) return known;
  let v: QuotedError | null = null;
  const egress = f.egress?.iface ?? -1;
  if (egress >= 0 && f.ingressIface >= 0 && egress !== f.ingressIface && f.errors.length) {
    const own = gatewayOwnAddresses(ctx);
    const e = f.errors.find((x) => !own.has(x.src) && x.iface === egress && x.dir === Dir.IN);
    if (e && !f.errors.some((x) => x.iface === f.ingressIface && x.dir === Dir.OUT && x.t >= e.t)) v = e;
  }
  unrelayed.set(f, v);
  return v;
}

/** An ICMP error about the flow came from beyond and the gateway did not relay it, and the snapshot does not say why. */
export function errorSwallowedUnruled(ctx: CheckContext, f: AssembledFlow): boolean {
  return unrelayedError(ctx, f) !== null && !errorsDroppedInForward(ctx, f);
}

/** The flow's ICMP errors from beyond were dropped in filter FORWARD (RELATED not accepted): the sender never hears of them. */
export function errorsDroppedInForward(ctx: CheckContext, f: AssembledFlow): boolean {
  const d = unrelayedErrorTrace(ctx, f)?.trace.disposition;
  return d?.kind === 'dropped' && d.reason === 'forward-chain';
}

/** A flow whose replies arrived and were not forwarded back, though the rules (as far as the snapshot holds them) would let them through. */
export function repliesStoppedUnruled(ctx: CheckContext, f: AssembledFlow): boolean {
  return f.disposition === 'reply-not-returned' && replyTrace(ctx, f)?.disposition.kind !== 'dropped';
}

/** A flow whose replies arrived and were not forwarded back, and the rules say why: `reason`. */
export function repliesDroppedBy(ctx: CheckContext, f: AssembledFlow, reason: DropReason): boolean {
  if (f.disposition !== 'reply-not-returned') return false;
  const d = replyTrace(ctx, f)?.disposition;
  return d?.kind === 'dropped' && d.reason === reason;
}

/** The flow's packets that arrived and have no copy on the other side. */
export function unmatchedArrivals(f: AssembledFlow): PacketInfo[] {
  const out: PacketInfo[] = [];
  for (const c of f.connections) for (const p of c.samples) if (!p.match && !p.copyUnseen && p.dir === Dir.IN) out.push(p);
  return out.sort((a, b) => a.t - b.t);
}

/** Frames proving packets arrived and went nowhere: the first few of each flow, in time order. */
export function stoppedFrameEvidence(ctx: CheckContext, flows: readonly AssembledFlow[], perFlow = 2, max = 8): Evidence[] {
  const out: Evidence[] = [];
  for (const f of flows) {
    for (const p of unmatchedArrivals(f).slice(0, perFlow)) {
      // The copy was due on the flow's other interface: the egress side for requests, the ingress side for replies.
      const otherConn = f.connections.find((c) => c.iface !== p.iface);
      const other = otherConn
        ? ctx.ifaceName(otherConn.iface)
        : (ctx.correlation.ifaces.find((n) => n !== ctx.ifaceName(p.iface)) ?? 'the other interface');
      out.push(frameEvidence(ctx, p, `${f.id}: arrived on ${ctx.ifaceName(p.iface)}, no copy on ${other}`));
      if (out.length >= max) return out;
    }
  }
  return out;
}

/**
 * The snapshot's chain a trace step or rule names: iptables' in its table, or an nftables chain, in the chains of
 * its base chain's table (named `<family> <table> <chain>`).
 */
export function chainOf(ctx: CheckContext, table: TableName, name: string): Chain | null {
  return (
    ctx.snapshot?.rules?.tables[table]?.chains.find((c) => c.name === name) ??
    (ctx.snapshot?.nft?.baseChains ?? []).map((b) => b.chains.get(name)).find((c) => c !== undefined) ??
    null
  );
}

/** nftables' filter chains at the forward hook (iptables-nft's FORWARD among them, where nft listed it): what decides forwarding there. */
export function nftForwardChains(ctx: CheckContext): NftBaseChain[] {
  return (ctx.snapshot?.nft?.baseChains ?? []).filter((b) => b.type === 'filter' && b.hook === 'FORWARD');
}

/** The chain whose head (the line with its policy) is at `src`: an iptables table's, or an nftables base chain, with its table. */
export function chainAt(ctx: CheckContext, src: SourceRef | null): { table: TableName; chain: Chain } | null {
  if (!src) return null;
  const at = (c: Chain): boolean => c.source.file === src.file && c.source.line === src.line;
  for (const t of TABLE_NAMES) {
    const chain = ctx.snapshot?.rules?.tables[t]?.chains.find(at);
    if (chain) return { table: t, chain };
  }
  const b = (ctx.snapshot?.nft?.baseChains ?? []).find((x) => at(x.chain));
  return b ? { table: b.stage, chain: b.chain } : null;
}

/** The snapshot's rule a trace step or NAT rewrite names (by its file and line). */
export function ruleOf(ctx: CheckContext, ref: RuleRef): Rule | null {
  return chainOf(ctx, ref.table, ref.chain)?.rules.find((r) => r.source.file === ref.file && r.source.line === ref.line) ?? null;
}

/** NAT rules the flows' simulated paths went through (DNAT/SNAT rewrites). */
export function natRules(flows: readonly AssembledFlow[]): RuleRef[] {
  const seen = new Map<string, RuleRef>();
  for (const f of flows) for (const r of f.trace?.rewrites ?? []) seen.set(`${r.rule.file}:${r.rule.line}`, r.rule);
  return [...seen.values()];
}

export function natRuleEvidence(flows: readonly AssembledFlow[]): Evidence[] {
  return natRules(flows).map(ruleEvidence);
}

export function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Flows that should have left by another interface (the simulator says forwarded, or it could not tell). */
export function forwardable(f: AssembledFlow): boolean {
  return f.ingressIface >= 0 && f.trace?.disposition.kind !== 'local' && f.disposition !== 'local';
}

/**
 * TCP resets that left by the flow's ingress side without having come in by the other: `REJECT --reject-with
 * tcp-reset` answering in the far end's name (nf_send_reset: its address, the gateway's MAC), not the far end.
 */
export function gatewayResets(f: AssembledFlow): PacketInfo[] {
  if (f.proto !== Proto.TCP) return [];
  return f.ingress.samples.filter((p) => (p.tcpFlags & TcpFlag.RST) !== 0 && p.dir === Dir.OUT && !p.match && p.connDir === 1);
}

/**
 * NAT loopback without its SNAT: a flow that came in by an interface and left by the same one, DNATed to a host
 * on that link but still from its own source, got no reply through the gateway. The DNAT target answers the source
 * directly, on the link they share, and the source drops an answer from an address it did not ask. `subnet`: the
 * gateway's address on that interface whose prefix holds both (the proof they share the link), or null when the
 * snapshot does not say (then the same interface in and out is all there is).
 */
export function hairpinUnmasqueraded(ctx: CheckContext, f: AssembledFlow): { readonly subnet: InterfaceAddress | null } | null {
  const o = f.observed;
  if (f.disposition !== 'no-reply' || !f.egress || !o || f.ingressIface < 0 || f.egress.iface !== f.ingressIface) return null;
  if (o.src !== f.original.src || o.dst === f.original.dst) return null;
  const name = ctx.ifaceName(f.egress.iface);
  const link = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
  const subnet = link?.addresses.find((a) => a.family === 4 && cidrContains({ addr: a.v4, prefix: a.prefix }, o.src) && cidrContains({ addr: a.v4, prefix: a.prefix }, o.dst)) ?? null;
  // Addresses known for the interface and neither holds both: they do not share a link, and the reply is routed.
  if (link && link.addresses.some((a) => a.family === 4) && !subnet) return null;
  // Without them, a route through a router to the DNAT target says the same.
  if (!subnet && linkOf(ctx, name, o.dst, f.trace) === 'off') return null;
  return { subnet };
}

/**
 * Whether `address` lives on interface `name`'s link: from the gateway's addresses there (a subnet holding it);
 * without them, from the route the snapshot's walk took (`trace`): a next hop other than the address itself is a
 * router, so the address is off the link.
 */
export function linkOf(ctx: CheckContext, name: string, address: number, trace: Trace | null): 'on' | 'off' | 'unknown' {
  const link = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
  if (link?.addresses.some((a) => a.family === 4)) return onLink(ctx, name, address) ? 'on' : 'off';
  const d = trace?.disposition;
  if (d?.kind === 'forwarded' && d.egress === name && d.out.dst === address && d.nextHop !== null) return d.nextHop === address ? 'on' : 'off';
  return 'unknown';
}

/** Whether `address` lies in a subnet of the gateway's own addresses on interface `name` (its link). */
export function onLink(ctx: CheckContext, name: string, address: number): boolean {
  const link = ctx.snapshot?.host.interfaces.find((i) => i.name === name);
  return link?.addresses.some((a) => a.family === 4 && cidrContains({ addr: a.v4, prefix: a.prefix }, address)) ?? false;
}

/**
 * A flow that did not get through, routed back out the interface it came in by to a destination (after DNAT)
 * that does not live on that link — NAT loopback turns back on purpose, to a host on the link: the route for it
 * leads back where it came from — a default route pointing into the VPC, or a VPC subnet without its route, which
 * the default route sends out the outside. Seen (its copy left that interface) or predicted (the snapshot's route
 * says so, and it never showed leaving the other); or its replies turned back so (`replies`). `route`: the snapshot's
 * routing step for it, when there is one; `dst`: where it was sent.
 * Only for a gateway whose two sides are known and differ (a one-armed router turns everything back by design).
 */
export function uTurned(ctx: CheckContext, f: AssembledFlow): { readonly route: TraceStep | null; readonly dst: number; readonly replies: boolean } | null {
  const roles = ctx.correlation.roles;
  if (f.disposition === 'delivered' || f.disposition === 'local') return null;
  if (f.ingressIface < 0 || !roles.inside || !roles.outside || roles.inside === roles.outside) return null;
  // The replies' face: forwarded one way, its replies sent back out the interface they arrived on (the way in
  // for the request has no route back, so the default route takes them).
  const back = f.egress?.replyPeer ?? null;
  if (f.disposition === 'reply-not-returned' && f.egress && back && back.iface === f.egress.iface && f.egress.iface !== f.ingressIface) {
    const where = linkOf(ctx, ctx.ifaceName(back.iface), back.dst, null);
    if (where === 'on') return null;
    const rt = replyTrace(ctx, f);
    return { route: rt?.steps.find((x) => x.stage === 'routing' && x.source !== null) ?? null, dst: back.dst, replies: true };
  }
  const name = ctx.ifaceName(f.ingressIface);
  if (f.egress && f.egress.iface !== f.ingressIface) return null;
  const t = f.trace;
  // Where it went: the destination its copy left with, or the one the snapshot's walk gives it.
  const dst = f.egress && f.observed ? f.observed.dst : !f.egress && t?.disposition.kind === 'forwarded' && t.disposition.egress === name ? t.disposition.out.dst : null;
  if (dst === null) return null;
  // A destination on that link is a loopback or a forward between neighbours, not a wrong route. When that cannot
  // be told, a DNATed one may be NAT loopback: only the untranslated are taken then.
  const where = linkOf(ctx, name, dst, t);
  if (where === 'on' || (where === 'unknown' && dst !== f.original.dst)) return null;
  return { route: t?.steps.find((x) => x.stage === 'routing' && x.source !== null) ?? null, dst, replies: false };
}
