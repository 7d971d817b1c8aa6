import { ipv4ToString } from '../model/address.js';
import { arpSwitchedOff, isRefusingRoute, linkWithoutArp, type Route } from '../model/host.js';
import type { NftHook } from '../model/nftables.js';
import type { TableName } from '../model/ruleset.js';
import type { Snapshot } from '../model/snapshot.js';
import type { SourceRef } from '../model/source.js';
import { linkState, linkStateText } from '../gateway/link-state.js';
import type { DropReason, SimPacket, StepStage, Trace, TraceDisposition, TraceStep } from '../model/trace.js';
import { applyConntrackDst, applyConntrackSrc, findConntrack } from './conntrack-lookup.js';
import { checkForwarding } from './forwarding-gate.js';
import { hostView, memoOf, type HostView } from './host-view.js';
import { checkRpFilter } from './rp-filter.js';
import { flowKeys, haveRoutes, isDefaultPolicyRule, lookupRoute } from './route-lookup.js';
import { isIcmpError, rejectIcmp } from './reject-icmp.js';
import { initialState, tupleOf } from './packet-state.js';
import { ruleRef } from './rule-ref.js';
import { tupleText, walkChain, walkHook, type HookOutcome } from './walk-chain.js';
import { assume, MAX_MAY_MATCH, WALK_BUDGET, type Walk } from './walk.js';

export interface SimulateOptions {
  /**
   * Egress interface to assume when the snapshot holds no routes (for instance the interface the captures saw
   * the packet leave by). Ignored when routes are known. The trace says it was assumed.
   */
  readonly assumeEgress?: string;
  /** Why that egress (said in the trace's assumption); default "as asked". */
  readonly assumeEgressWhy?: string;
  /**
   * For a packet with state 'established'/'related': translate it with the snapshot's matching `conntrack -L`
   * entry, as the kernel's nat hooks do for later packets. Off by default (the correlation inverts mappings
   * it learned from the captures itself).
   */
  readonly conntrack?: boolean;
  /**
   * Walk on past the drops that leave the packet's path intact (the forwarding gate, rp_filter, the MTU
   * check, DROP/REJECT in a chain) to say what WOULD leave: the expected translation of a flow the gateway
   * stopped. The drops stay in the steps; the disposition is what follows them. No route still ends the walk.
   */
  readonly passDrops?: boolean;
}

/** Drop reasons by the hook a chain belongs to. */
function chainDropReason(hook: string): DropReason {
  if (hook === 'FORWARD') return 'forward-chain';
  if (hook === 'INPUT') return 'input-chain';
  if (hook === 'POSTROUTING') return 'postrouting-chain';
  return 'prerouting-chain';
}

/**
 * What the gateway does to one packet: the netfilter hooks and the routing decision in the order the kernel
 * runs them for a packet arriving on an interface (net/ipv4/ip_input.c → route.c ip_route_input_slow →
 * ip_forward.c → ip_output.c), each step with the rule, sysctl or route it relied on. Pure and deterministic;
 * the per-snapshot indexes are built once and reused.
 */
export function simulate(packet: SimPacket, snapshot: Snapshot, options: SimulateOptions = {}): Trace {
  const view = hostView(snapshot);
  const s = initialState(packet);
  const w: Walk = {
    view,
    s,
    steps: [],
    rewrites: [],
    mayMatch: [],
    assumptions: [],
    unsure: false,
    portsMayChange: false,
    nextHop: null,
    budget: WALK_BUDGET,
    mayMatchListed: 0,
    unlisted: 0,
  };
  noteRulesetGaps(w);
  const disposition = walkPacket(w, options);
  if (w.unlisted) assume(w, `${w.unlisted.toLocaleString('en')} more rules may match this packet; only the first ${MAX_MAY_MATCH} are listed, and those that would drop it`);
  return {
    packet,
    steps: w.steps,
    rewrites: w.rewrites,
    disposition,
    assumptions: w.assumptions,
    unsure: w.unsure || disposition.kind === 'unknown',
    mayMatch: w.mayMatch,
  };
}

function noteRulesetGaps(w: Walk): void {
  if (!w.view.snapshot.host.have.addresses) {
    assume(w, 'the snapshot holds no interface addresses: only 127.0.0.0/8 and `local` routes count as the gateway\'s own, and MTUs are unknown');
  }
  const rules = w.view.snapshot.rules;
  if (!rules) {
    if (w.view.snapshot.nft?.baseChains.length) return;
    assume(w, 'the snapshot holds no iptables rules: assumed every chain empty with policy ACCEPT, so no filtering and no NAT');
    return;
  }
  if (rules.legacyTablesPresent) {
    const l = rules.legacyTablesPresent;
    assume(
      w,
      `${l.file}:${l.line} says iptables-legacy tables are present: these rules were saved from the nft backend and the legacy rules, which the kernel also applies, are missing from the snapshot`,
    );
  }
}

function needTable(w: Walk, table: TableName): void {
  const rules = w.view.snapshot.rules;
  if (!rules || w.view.chains[table]) return;
  // Rules kept in nftables' own tables stand in for the iptables table the snapshot lacks.
  if ([...(w.view.nftHooks?.values() ?? [])].some((l) => l.some((b) => (table === 'nat') === (b.type === 'nat')))) return;
  if (table === 'nat') {
    assume(
      w,
      rules.legacyTablesPresent
        ? 'no nat table in the snapshot while iptables-legacy tables are present: the NAT rules probably live in the legacy backend (take the snapshot with iptables-legacy-save)'
        : 'no nat table in the snapshot: assumed no NAT rules',
    );
  } else if (table === 'filter') {
    assume(w, 'no filter table in the snapshot: assumed empty chains with policy ACCEPT (the state of a table nobody loaded)');
  }
}

function hook(w: Walk, table: TableName, chain: string): HookOutcome {
  needTable(w, table);
  return walkHook(w, table, chain);
}

function dropped(
  w: Walk,
  stage: StepStage,
  reason: DropReason,
  note: string,
  extra: { rule?: ReturnType<typeof ruleRef> | null; source?: SourceRef | null; icmpBack?: { type: number; code: number; mtu: number } | null; egress?: string } = {},
): TraceDisposition {
  // RFC 1122 3.2.2: the kernel never answers an ICMP error with an ICMP error.
  const icmpBack = extra.icmpBack && !isIcmpError(w.s.proto, w.s.icmpType) ? extra.icmpBack : null;
  const d = { kind: 'dropped' as const, stage, reason, rule: extra.rule ?? null, source: extra.source ?? null, icmpBack, note };
  return extra.egress !== undefined ? { ...d, egress: extra.egress } : d;
}

function fromHook(w: Walk, o: HookOutcome, table: TableName, hookName: string): TraceDisposition | null {
  if (o.kind === 'accept') return null;
  if (o.kind === 'unknown') return { kind: 'unknown', why: o.why };
  const source = o.rule ? o.rule.source : o.chain.source;
  const icmpBack = o.rejectWith !== null ? rejectIcmp(o.rejectWith) : null;
  let note = o.note;
  if (o.rejectWith === 'tcp-reset') note += ' (a TCP RST goes back)';
  return dropped(w, table, chainDropReason(hookName), note, { rule: o.rule ? ruleRef(o.rule) : null, source, icmpBack });
}

/** iptables' tables' priorities (raw −300, mangle −150, filter 0, security 50; nat −100 where it rewrites the destination, 100 the source). */
function tablePriority(table: TableName, hookName: string): number {
  if (table === 'nat') return hookName === 'PREROUTING' || hookName === 'OUTPUT' ? -100 : 100;
  return table === 'raw' ? -300 : table === 'mangle' ? -150 : table === 'filter' ? 0 : 50;
}

/** Conntrack's place in PREROUTING and OUTPUT: what runs before it (raw) sees no connection yet. */
const CONNTRACK_PRIORITY = -200;

/**
 * Run the chains of one netfilter hook point in priority order: the iptables tables given, and the nftables base
 * chains of that hook whose priority falls in the same stretch (before conntrack with raw, after it with the rest).
 * Every NAT chain — iptables' nat table and nftables' type nat chains — runs in the nat core's one slot, by its own
 * priority, and only until one of them has set the connection's mapping (nf_nat_inet_fn); nothing NATs a packet
 * that is not a connection's first.
 */
function hooks(w: Walk, tables: readonly TableName[], hookName: string): TraceDisposition | null {
  const nft = w.view.nftHooks?.get(hookName as NftHook) ?? [];
  const prios = tables.map((t) => tablePriority(t, hookName));
  const beforeConntrack = (hookName === 'PREROUTING' || hookName === 'OUTPUT') && prios.every((p) => p < CONNTRACK_PRIORITY);
  const afterConntrack = (hookName === 'PREROUTING' || hookName === 'OUTPUT') && prios.every((p) => p > CONNTRACK_PRIORITY);
  const natSlot = tablePriority('nat', hookName);
  type Entry = { prio: number; run: () => HookOutcome; stage: TableName; nat: boolean };
  const entries: Entry[] = tables.map((t) => ({ prio: tablePriority(t, hookName), run: () => hook(w, t, hookName), stage: t, nat: t === 'nat' }));
  for (const b of nft) {
    // A type nat chain runs at the nat slot, wherever its own priority puts it among the nat chains.
    const at = b.type === 'nat' ? natSlot : b.priority;
    if (b.type === 'nat' && !tables.includes('nat')) continue;
    if (b.type !== 'nat' && ((beforeConntrack && at >= CONNTRACK_PRIORITY) || (afterConntrack && at < CONNTRACK_PRIORITY))) continue;
    entries.push({ prio: at + (b.type === 'nat' ? (b.priority - natSlot) / 1e6 : 0), run: () => walkChain(w, b.stage, b.chains, b.chain), stage: b.stage, nat: b.type === 'nat' });
  }
  // Stable: at equal priority iptables' table keeps its place before an nftables chain.
  entries.sort((a, b) => a.prio - b.prio);
  const manipDst = hookName === 'PREROUTING' || hookName === 'OUTPUT';
  for (const e of entries) {
    if (e.nat && (w.s.ct !== 'new' || (manipDst ? w.s.dnatDone : w.s.snatDone))) continue;
    const d = fromHook(w, e.run(), e.stage, hookName);
    if (d) return d;
  }
  return null;
}

function walkPacket(w: Walk, options: SimulateOptions): TraceDisposition {
  const s = w.s;
  const view = w.view;
  // With passDrops a drop is noted as a step and the walk goes on (see SimulateOptions).
  const stop = (x: TraceDisposition | null): TraceDisposition | null => {
    if (!x || !options.passDrops || x.kind !== 'dropped' || x.reason === 'no-route' || x.reason === 'route-blackhole') return x;
    w.steps.push({ stage: x.stage, table: null, chain: null, rule: x.rule, verdict: 'would drop', note: `${x.reason}: ${x.note} — walked on to see what would leave`, unsure: false, source: x.source });
    return null;
  };
  let d = stop(hooks(w, ['raw'], 'PREROUTING'));
  if (d) return d;

  // Conntrack (priority −200): decides whether the nat table sees this packet at all.
  const ct = conntrackStep(w, options);
  d = stop(hooks(w, ['mangle', 'nat'], 'PREROUTING'));
  if (d) return d;
  if (ct) applyConntrackDst(w, ct);

  // Routing decision (ip_route_input_slow).
  const beforeRoute = tupleOf(s);
  const r = lookupRoute(view, s.dst, { src: s.src, iif: s.inIface, mark: s.mark, ...flowKeys(s.proto, s.sport, s.dport) });
  if (!haveRoutes(view)) {
    assume(
      w,
      view.snapshot.host.have.addresses
        ? 'the snapshot holds no routes: used only the connected routes the addresses imply'
        : 'the snapshot holds neither routes nor addresses: routing cannot be predicted except for loopback',
    );
  }
  const otherTables = view.otherRouteTables;
  if (view.policy === null && otherTables.length > 0) {
    assume(w, `routes in table${otherTables.length > 1 ? 's' : ''} ${otherTables.join(', ')} were not used: the snapshot has no \`ip rule\` list, so only the default rules (local, main, default) were applied`);
  }
  // What the ip rule list leaves open, worked out once per snapshot (host-view.ts).
  for (const a of view.policyAssumptions) assume(w, a);
  if (r.kind === 'local') {
    w.steps.push({ stage: 'routing', table: null, chain: null, rule: null, verdict: 'local', note: `${ipv4ToString(s.dst)} is local (${r.why})`, unsure: false, source: r.route?.source ?? null });
    const rp = stop(checkRpFilter(w));
    if (rp) return rp;
    return localDelivery(w, r.why);
  }
  let route: Route | null = null;
  let egress: string | null = null;
  if (r.kind === 'route') {
    route = r.route;
    egress = route.dev ?? devOfVia(view, route.via);
  } else if (!haveRoutes(view) && options.assumeEgress) {
    egress = options.assumeEgress;
    assume(w, `no route for ${ipv4ToString(s.dst)} in the snapshot: assumed it leaves by ${egress}, ${options.assumeEgressWhy ?? 'as asked'}`);
  }
  const byRule = r.kind === 'route' && r.rule && !isDefaultPolicyRule(r.rule) ? r.rule : null;
  const routeNote = route ? (byRule && byRule.action !== 'lookup' ? route.text : `${route.text} (table ${r.kind === 'route' ? r.table : 'main'}${byRule ? `, by ip rule ${byRule.text}` : ''})`) : '';
  const policyRule = byRule ? { policyRule: { priority: byRule.priority, text: byRule.text, source: byRule.source } } : {};

  if (route === null && egress === null) {
    // fib_lookup failed: with forwarding off the kernel turns the error into EHOSTUNREACH and stays silent.
    const fwd = stop(checkForwarding(w));
    if (fwd) return fwd;
    if (!haveRoutes(view)) {
      return { kind: 'unknown', why: `the snapshot holds no routes and no connected subnet holds ${ipv4ToString(s.dst)}` };
    }
    const where = view.policy === null ? 'in table main (and no default route)' : 'in any table the ip rules look up for it (and no default route)';
    w.steps.push({ stage: 'routing', table: null, chain: null, rule: null, verdict: 'no-route', note: `no route to ${ipv4ToString(s.dst)} ${where}`, unsure: false, source: null });
    // ip_error(): ENETUNREACH → ICMP net unreachable (RFC 792 type 3 code 0).
    return dropped(w, 'routing', 'no-route', `no route to ${ipv4ToString(s.dst)}`, { icmpBack: { type: 3, code: 0, mtu: 0 } });
  }
  if (route && isRefusingRoute(route.type)) {
    w.steps.push({ stage: 'routing', table: null, chain: null, rule: null, verdict: route.type, note: routeNote, unsure: false, source: route.source, ...policyRule });
    const fwd = stop(checkForwarding(w));
    if (fwd) return fwd;
    // fib_lookup errors: blackhole -EINVAL (silent), unreachable -EHOSTUNREACH (host unreachable),
    // prohibit -EACCES (ICMP type 3 code 13, communication administratively prohibited) — ip_error().
    // An ip rule's own refusals: unreachable is -ENETUNREACH there (net unreachable, code 0; fib4_rule_action).
    const icmpBack = route.type === 'blackhole' ? null : { type: 3, code: route.type === 'unreachable' ? (byRule ? 0 : 1) : 13, mtu: 0 };
    return dropped(w, 'routing', 'route-blackhole', `${route.type} route for ${ipv4ToString(s.dst)}`, { source: route.source, icmpBack });
  }
  const nextHop = route ? (route.via ?? s.dst) : null;
  w.nextHop = nextHop;
  s.outIface = egress ?? '';
  w.steps.push({
    stage: 'routing',
    table: null,
    chain: null,
    rule: null,
    verdict: 'forward',
    note: route
      ? `${tupleText(beforeRoute, s.proto)} via ${routeNote}: out ${egress ?? '?'}${route.via !== null ? `, next hop ${ipv4ToString(route.via)}` : ', on-link'}`
      : `out ${egress} (assumed)`,
    unsure: route === null,
    source: route?.source ?? null,
    ...policyRule,
  });
  if (route === null) w.unsure = true;
  const fwd = stop(checkForwarding(w));
  if (fwd) return fwd;
  const rp = stop(checkRpFilter(w));
  if (rp) return rp;

  // ip_forward(): the MTU check comes before the FORWARD hook.
  const mtu = stop(checkMtu(w, egress!));
  if (mtu) return mtu;

  d = stop(hooks(w, ['mangle', 'filter', 'security'], 'FORWARD'));
  if (d) return d;
  d = stop(hooks(w, ['mangle', 'nat'], 'POSTROUTING'));
  if (d) return d;
  if (ct) applyConntrackSrc(w, ct);

  neighbourStep(w, egress!, nextHop);
  d = stop(checkLink(w, egress!, route));
  if (d) return d;
  return { kind: 'forwarded', egress: egress!, out: tupleOf(s), nextHop, portsMayChange: w.portsMayChange };
}

/**
 * An interface without carrier has its queue deactivated and its neighbour entries flushed: what is sent there
 * (after POSTROUTING: the connection is confirmed, its SNAT counted) waits for an ARP that cannot leave, and when that
 * times out the kernel drops it with ICMP host unreachable — no capture on the interface sees any of it. `ip addr`
 * says so (NO-CARRIER); without it, the route the packet took does (the kernel marks it `linkdown`).
 */
function checkLink(w: Walk, egress: string, route: Route | null): TraceDisposition | null {
  const itf = w.view.interfaces.get(egress);
  const state = itf ? linkState(itf) : route && /\blinkdown\b/.test(route.text) ? 'no-carrier' : 'up';
  if (state === 'up') return null;
  const what = state === 'no-carrier' ? 'has no carrier' : 'is down';
  const why = itf ? linkStateText(itf) : `its route is marked linkdown: ${route!.text}`;
  const source = itf?.source ?? route!.source;
  w.steps.push({ stage: 'neighbour', table: null, chain: null, rule: null, verdict: 'DROP', note: `${egress} ${what} (${why}): what the kernel sends there is dropped, the next hop never resolved`, unsure: false, source });
  return dropped(w, 'neighbour', 'link-down', `${egress} ${what}`, { source, egress, icmpBack: { type: 3, code: 1, mtu: 0 } });
}

function devOfVia(view: HostView, via: number | null): string | null {
  if (via === null) return null;
  const r = lookupRoute(view, via);
  return r.kind === 'route' ? r.route.dev : null;
}

/** The conntrack step of every first packet: one object, shared by the traces (steps are never changed). */
const NEW_STEP: TraceStep = Object.freeze({
  stage: 'conntrack',
  table: null,
  chain: null,
  rule: null,
  unsure: false,
  verdict: 'NEW',
  note: 'first packet of a connection: the nat table decides its translation',
  source: null,
});

function conntrackStep(w: Walk, options: SimulateOptions): ReturnType<typeof findConntrack> {
  const s = w.s;
  const base = { stage: 'conntrack' as const, table: null, chain: null, rule: null, unsure: false };
  if (s.ct === 'untracked') {
    w.steps.push({ ...base, verdict: 'UNTRACKED', note: 'marked NOTRACK in raw: no connection, so the nat table is skipped', source: null });
    return null;
  }
  if (s.ct === 'new') {
    w.steps.push(NEW_STEP);
    return null;
  }
  if (s.ct === 'invalid') {
    w.steps.push({ ...base, verdict: 'INVALID', note: 'no conntrack entry, and not a packet that starts one: the nat table is skipped and the addresses stay as they are', source: null });
    return null;
  }
  if (options.conntrack) {
    const hit = findConntrack(w);
    if (hit) {
      // The entry tells what the matches on conntrack state read for later packets.
      const e = hit.entry;
      s.origSrc = e.original.src;
      s.origDst = e.original.dst;
      s.dnatDone = e.original.dst !== e.reply.src;
      s.snatDone = e.original.src !== e.reply.dst;
      if (e.mark !== null) s.ctmark = e.mark;
      w.steps.push({
        ...base,
        verdict: s.ct.toUpperCase(),
        note: `${hit.direction} direction of the conntrack entry: ${hit.entry.text}`,
        source: hit.entry.source,
      });
      return hit;
    }
    assume(w, w.view.snapshot.host.have.conntrack ? 'no conntrack entry in the snapshot matches this packet: addresses left as they are' : 'the snapshot holds no conntrack table: addresses left as they are');
  }
  w.steps.push({
    ...base,
    verdict: s.ct.toUpperCase(),
    note: 'a later packet of a connection: the nat table is not consulted; the connection\'s own mapping applies (not simulated here)',
    unsure: false,
    source: null,
  });
  return null;
}

function localDelivery(w: Walk, why: string): TraceDisposition {
  const d = hooks(w, ['mangle', 'filter', 'security', 'nat'], 'INPUT');
  if (d) return d;
  return { kind: 'local', out: tupleOf(w.s), note: `delivered to the gateway itself: ${why}` };
}

/** The MTU check's answer for one (egress, size, DF): the same for every packet that has them. */
interface MtuOutcome {
  readonly step: TraceStep | null;
  readonly assumption: string | null;
  readonly disposition: TraceDisposition | null;
}

/** ip_forward(): a DF packet larger than the egress MTU is dropped with ICMP frag-needed (RFC 1191). */
function checkMtu(w: Walk, egress: string): TraceDisposition | null {
  const s = w.s;
  const byEgress = memoOf<string, Map<number, MtuOutcome>>(w.view, 'mtu');
  let memo = byEgress.get(egress);
  if (memo === undefined) {
    memo = new Map();
    byEgress.set(egress, memo);
  }
  // Everything the answer depends on: size, DF, and whether an ICMP error may answer it (RFC 1122 3.2.2).
  const key = ((s.size > 0 ? s.size : 0) * 2 + (s.df ? 1 : 0)) * 2 + (isIcmpError(s.proto, s.icmpType) ? 1 : 0);
  let o = memo.get(key);
  if (o === undefined) {
    o = mtuOutcome(w, egress);
    memo.set(key, o);
  }
  if (o.assumption !== null) assume(w, o.assumption);
  if (o.step !== null) w.steps.push(o.step);
  return o.disposition;
}

function mtuOutcome(w: Walk, egress: string): MtuOutcome {
  const s = w.s;
  const itf = w.view.interfaces.get(egress);
  if (!itf || !(itf.mtu > 0)) return { assumption: `the MTU of ${egress} is not in the snapshot: the packet size was not checked`, step: null, disposition: null };
  if (!(s.size > 0)) return { assumption: 'packet size not given: the egress MTU was not checked', step: null, disposition: null };
  const base = { stage: 'mtu' as const, table: null, chain: null, rule: null, unsure: false, source: itf.source };
  if (s.size <= itf.mtu) return { assumption: null, step: { ...base, verdict: 'fits', note: `${s.size} bytes ≤ MTU ${itf.mtu} of ${egress}` }, disposition: null };
  if (s.df) {
    return {
      assumption: null,
      step: { ...base, verdict: 'DROP', note: `${s.size} bytes > MTU ${itf.mtu} of ${egress} and DF set: ICMP fragmentation needed (mtu ${itf.mtu}) goes back` },
      disposition: dropped(w, 'mtu', 'mtu-exceeded', `${s.size} bytes with DF > MTU ${itf.mtu} of ${egress}`, { source: itf.source, icmpBack: { type: 3, code: 4, mtu: itf.mtu } }),
    };
  }
  return { assumption: null, step: { ...base, verdict: 'fragment', note: `${s.size} bytes > MTU ${itf.mtu} of ${egress}, DF clear: the kernel fragments it after POSTROUTING` }, disposition: null };
}

/**
 * The neighbour steps for a next hop on an egress: they read the snapshot only, so they are made once per (egress,
 * next hop) and shared by the traces that take it (steps are never changed).
 */
function neighbourStep(w: Walk, egress: string, nextHop: number | null): void {
  const memo = memoOf<string, readonly TraceStep[]>(w.view, 'neighbour');
  const key = `${egress}|${nextHop ?? ''}`;
  let steps = memo.get(key);
  if (steps === undefined) {
    steps = neighbourSteps(w.view, egress, nextHop);
    memo.set(key, steps);
  }
  for (const st of steps) w.steps.push(st);
}

function neighbourSteps(view: HostView, egress: string, nextHop: number | null): TraceStep[] {
  const out: TraceStep[] = [];
  const itf = view.interfaces.get(egress);
  const noarp = itf ? arpSwitchedOff(itf) : false;
  const parts: string[] = [];
  let verdict = 'next hop';
  let source: SourceRef | null = null;
  if (itf && linkWithoutArp(itf)) {
    // tun, WireGuard, ppp, IP-in-IP: no link-layer address to resolve.
    parts.push(`${egress} is a link without ARP (${itf.flags.includes('POINTOPOINT') ? 'point-to-point' : `link/${itf.link ?? 'none'}`}): the packet goes to the other end without resolving a next hop`);
    verdict = 'no ARP';
    source = itf.source;
  } else if (nextHop === null) {
    parts.push('next hop unknown');
  } else {
    const nh = ipv4ToString(nextHop);
    const n = view.neighbours.get(`${egress}|${nextHop}`);
    if (n) {
      source = n.source;
      const bad = n.states.find((x) => x === 'FAILED' || x === 'INCOMPLETE');
      if (bad) {
        verdict = 'unresolved';
        parts.push(`next hop ${nh} on ${egress} is ${bad} in the neighbour table: no one answered ARP, so packets queue and are dropped`);
      } else {
        verdict = 'resolved';
        parts.push(`next hop ${nh} on ${egress} is ${n.lladdr ?? 'without lladdr'} (${n.states.join(',') || 'no state'})`);
      }
    } else if (view.snapshot.host.have.neighbours) {
      parts.push(`next hop ${nh} on ${egress} has no neighbour entry: the kernel ARPs for it when the packet leaves`);
    } else {
      parts.push(`next hop ${nh} on ${egress} (no neighbour table in the snapshot)`);
    }
  }
  out.push({ stage: 'neighbour', table: null, chain: null, rule: null, verdict, note: parts.join('; '), unsure: false, source });
  if (noarp) {
    out.push({
      stage: 'neighbour',
      table: null,
      chain: null,
      rule: null,
      verdict: 'NOARP',
      note: `${egress} has the NOARP flag: the gateway neither resolves nor answers ARP there, so the outside cannot find its addresses on ${egress} and replies never come back`,
      unsure: false,
      source: itf!.source,
    });
  }
  return out;
}
