import type { Evidence, Finding } from '../../model/analysis.js';
import { cidrContains, ipv4ToString } from '../../model/address.js';
import { isRefusingRoute, tableName, type PolicyRule, type Route } from '../../model/host.js';
import type { TraceStep } from '../../model/trace.js';
import { hostView, routeMatches } from '../../simulate/host-view.js';
import { lookupRoute } from '../../simulate/route-lookup.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, frameEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, gatewayResets, plural, stoppedFrameEvidence, uTurned } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import { downLinkOf } from '../link-facts.js';

/**
 * ICMP destination unreachable, net (code 0): what Linux sends when no route matches (ENETUNREACH).
 * Host unreachable (code 1) is what it sends when ARP for the next hop fails: a neighbour problem, not this.
 */
function isUnreachable(type: number, code: number): boolean {
  return type === 3 && code === 0;
}

/** The snapshot's own routes (not an assumption) send the flow on. */
function routedBySnapshot(f: AssembledFlow): boolean {
  return f.trace?.steps.some((s) => s.stage === 'routing' && s.verdict === 'forward' && !s.unsure) ?? false;
}

export const noRoute: Check = {
  id: 'no-route',
  description: 'The gateway has no route for the destination: ICMP net-unreachable goes back out the ingress interface; or its route leads back out the interface the traffic came in by.',
  rank: 1,
  run(ctx: CheckContext) {
    return [...unreachableFinding(ctx), ...blackholeFinding(ctx), ...uTurnFinding(ctx)];
  },
};

/**
 * A route that exists to refuse: `blackhole` (silent), `unreachable` (ICMP host unreachable) or `prohibit` (ICMP
 * administratively prohibited) for the destination — a null route left by a DDoS mitigation, a BGP daemon, a
 * decommissioned prefix. The route line is the proof.
 */
function blackholeFinding(ctx: CheckContext): Finding[] {
  const flows = ctx.flows.filter((f) => f.ingressIface >= 0 && f.forwarded === 0 && f.disposition === 'stopped-at-gateway' && droppedBy(f, 'route-blackhole'));
  if (!flows.length) return [];
  const routes = ctx.snapshot?.host.routes ?? [];
  const evidence: Evidence[] = [];
  const used = new Map<string, (typeof routes)[number]>();
  const steering = new Map<number, NonNullable<TraceStep['policyRule']>>();
  for (const f of flows) {
    const d = f.trace!.disposition;
    // The refusing route the walk met: a line of `ip route` (one route a line), or of `ip -j route` (all on one line),
    // so among that line's refusing routes, the one for the destination.
    const here = d.kind === 'dropped' && d.source ? routes.filter((x) => isRefusingRoute(x.type) && x.source.file === d.source!.file && x.source.line === d.source!.line) : [];
    const dst = f.observed?.dst ?? f.trace!.rewrites.findLast((w) => w.kind === 'DNAT')?.after.dst ?? f.original.dst;
    const r = here.filter((x) => x.dst === null || cidrContains(x.dst, dst)).sort((a, b) => (b.dst?.prefix ?? 0) - (a.dst?.prefix ?? 0))[0] ?? here[0];
    if (r && !used.has(`${r.source.file}:${r.source.line}:${r.text}`)) {
      used.set(`${r.source.file}:${r.source.line}:${r.text}`, r);
      evidence.push({ kind: 'route', file: r.source.file, line: r.source.line, text: r.text });
    }
    // The ip rule that sent them to that route's table (by protocol, port, mark, source…): the traffic it takes is what stops.
    const by = f.trace!.steps.findLast((s) => s.stage === 'routing')?.policyRule;
    if (by && !steering.has(by.priority)) {
      steering.set(by.priority, by);
      evidence.push({ kind: 'route', file: by.source.file, line: by.source.line, text: `ip rule ${by.text}` });
    }
    const e = f.errors.find((x) => x.fromGateway && x.type === 3);
    if (e) evidence.push(errorEvidence(ctx, e, `the gateway answered ${f.id}: ${e.code === 13 ? 'administratively prohibited' : 'host unreachable'}`));
  }
  const types = [...new Set([...used.values()].map((r) => r.type))];
  const dsts = [...new Set(flows.map((f) => ipv4ToString(f.original.dst)))];
  return [
    finding(
      'no-route',
      'error',
      'confirmed',
      `A ${types.join('/') || 'blackhole'} route drops the traffic to ${dsts.slice(0, 3).join(', ')}${dsts.length > 3 ? ` and ${dsts.length - 3} more` : ''}`,
      `${plural(flows.length, 'flow')} to ${dsts.join(', ')} stopped at the gateway: the route that matches ${dsts.length === 1 ? 'it' : 'them'} is a ${types.join('/') || 'blackhole'} route, which ${
        types.length === 1 && types[0] === 'blackhole' ? 'discards the packets in silence' : 'refuses the packets with an ICMP error'
      }, whatever the other routes say.${
        steering.size ? ` The ${steering.size === 1 ? 'ip rule' : 'ip rules'} ${[...steering.values()].map((x) => `${x.priority} (${x.text.replace(/^\d+:\s*/, '')})`).join(', ')} sent ${flows.length === 1 ? 'it' : 'them'} to that route's table: only the traffic ${steering.size === 1 ? 'it takes' : 'they take'} stops.` : ''
      }`,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
      [
        ...[...used.values()].map((r) => `ip route del ${r.text}  # and wherever it comes from (a routing daemon, a DDoS mitigation, the network configuration)`),
        ...[...steering.values()].map((x) => `ip rule del pref ${x.priority}  # or stop steering this traffic there (and where the rule is made at boot)`),
        ...(used.size ? [] : [`ip route show match ${dsts[0]}  # the blackhole, unreachable or prohibit route that takes it`]),
      ],
      flows,
    ),
  ];
}

/**
 * Routes that lead back: flows turned around out the interface they came in by (uTurned), toward a destination that
 * is not on that link. What leaves that way never reaches the other side; a SNAT rule written for the outside
 * interface does not take it, and the ICMP redirects the gateway may send say the same.
 */
function uTurnFinding(ctx: CheckContext): Finding[] {
  const found = ctx.flows.map((f) => ({ f, u: uTurned(ctx, f)! })).filter((x) => x.u !== null);
  // One finding per interface things turned back at (requests and replies alike).
  const groups = new Map<string, typeof found>();
  for (const x of found) {
    const at = ctx.ifaceName(x.u.replies ? x.f.egress!.iface : x.f.ingressIface);
    groups.set(at, [...(groups.get(at) ?? []), x]);
  }
  return [...groups].map(([at, g]) => turnFinding(ctx, at, g));
}

function turnFinding(ctx: CheckContext, iface: string, found: readonly { f: AssembledFlow; u: NonNullable<ReturnType<typeof uTurned>> }[]): Finding {
  const flows = found.map((x) => x.f);
  const requests = found.filter((x) => !x.u.replies);
  const replied = found.filter((x) => x.u.replies);
  const roles = ctx.correlation.roles;
  const other = roles.inside === iface ? roles.outside! : roles.inside!;
  const targets = [...new Set(found.map(({ u }) => ipv4ToString(u.dst)))];
  // Where they were sent: the DNAT target where there was one.
  const dstsOf = (xs: typeof found): string[] => [...new Set(xs.map(({ f, u }) => (u.replies || u.dst === f.original.dst ? ipv4ToString(u.dst) : `${ipv4ToString(u.dst)} (DNAT of ${ipv4ToString(f.original.dst)})`)))];
  const evidence: Evidence[] = [];
  const routeLines = new Map<string, { file: string; line: number; text: string }>();
  for (const { u } of found) {
    const src = u.route?.source;
    if (!src) continue;
    // `ip -j route` is one line: every route shares it, and the step's note names the one taken.
    const same = ctx.snapshot?.host.routes.filter((x) => x.source.file === src.file && x.source.line === src.line) ?? [];
    const r = same.length === 1 ? same[0] : same.find((x) => u.route!.note.includes(` via ${x.text} (table `));
    routeLines.set(`${src.file}:${src.line}`, { file: src.file, line: src.line, text: r?.text ?? u.route!.note });
  }
  for (const r of routeLines.values()) evidence.push({ kind: 'route', ...r });
  for (const { f, u } of found.slice(0, 4)) {
    const p = u.replies ? f.egress!.replyPeer : f.ingress.peer;
    if (p) evidence.push(frameEvidence(ctx, p, `${f.id}${u.replies ? "'s reply" : ''} left ${iface} again, the way it came in, toward ${ipv4ToString(p.dst)}`));
  }
  // ICMP redirects the gateway sent the senders: it forwarded out the interface the packet came in by.
  const redirects = flows.flatMap((f) => f.errors.filter((e) => e.fromGateway && e.type === 5)).slice(0, 2);
  for (const e of redirects) evidence.push(errorEvidence(ctx, e, 'an ICMP redirect from the gateway: it sends this traffic back out the interface it came in by'));
  const viaRoute = [...routeLines.values()][0];
  const neighbours = (ctx.snapshot?.host.neighbours ?? []).filter((n) => n.family === 4 && n.dev === other && n.lladdr).map((n) => n.address);
  const confirmed = routeLines.size > 0;
  // Policy routing: a table the ip rules do not look up for this side holds the route that would work.
  const elsewhere = requests.length ? tableElsewhere(ctx, iface, other, requests[0]!.u.dst, requests[0]!.f.original.src) : null;
  if (elsewhere) evidence.push({ kind: 'route', file: elsewhere.route.source.file, line: elsewhere.route.source.line, text: `${elsewhere.route.text} — table ${elsewhere.table}, which no ip rule looks up for what comes in by ${iface}` });
  for (const r of elsewhere?.rules ?? []) evidence.push({ kind: 'route', file: r.source.file, line: r.source.line, text: `ip rule ${r.text}` });
  const what: string[] = [];
  if (requests.length) what.push(`${plural(requests.length, 'flow')} to ${dstsOf(requests).join(', ')}`);
  if (replied.length) what.push(`the replies of ${plural(replied.length, 'flow')}, to ${dstsOf(replied).join(', ')},`);
  const one = requests.length === 1 && !replied.length;
  const verb = confirmed ? (one ? 'is routed' : 'are routed') : one ? 'was sent' : 'were sent';
  const sentence = what.join(' and ');
  const inside = iface === roles.inside;
  const lost = [requests.length ? `${requests.length === 1 ? 'it never reaches' : 'they never reach'} ${other}` : '', replied.length ? 'the replies never reach their clients' : ''].filter(Boolean).join(', and ');
  return finding(
    'no-route',
    'error',
    confirmed ? 'confirmed' : 'likely',
    `The route to ${targets.join(', ')} leads back out ${iface}, not out ${other}`,
    `${sentence[0]!.toUpperCase()}${sentence.slice(1)} arrived on ${iface} and ${verb} back out ${iface}${viaRoute ? ` (${viaRoute.text.trim()})` : ''}: ` +
      `${targets.length === 1 ? `${targets[0]} is` : `${targets.join(', ')} are`} not on ${iface}'s link, so ${lost}${inside && requests.length ? `, and what a SNAT rule written for ${other} would translate leaves untranslated` : ''}. ` +
      (elsewhere
        ? `Table ${elsewhere.table} holds the route that sends it out ${other} (${elsewhere.route.text.trim()}), but no ip rule looks that table up for what comes in by ${iface}` +
          `${elsewhere.rules.length ? ` (${elsewhere.rules.map((r) => `rule ${r.priority} does for ${r.iif ? `what comes in by ${r.iif}` : r.text}`).join('; ')})` : ''}: the rule for ${iface} is missing — ip rules are not persistent, and a restart that re-added the routes did not re-add it.`
        : inside
          ? `The gateway has no route that sends it out ${other}: most likely its default route points into the VPC (replaced, or a route for the outside missing).`
          : `The gateway has no route that sends it out ${other}: most likely a route for a subnet behind ${other} is missing, so the default route takes it out ${iface} again.`),
    uniqueEvidence(evidence, 14),
    elsewhere ? [
      `ip rule add iif ${iface} table ${elsewhere.table}  # what comes in by ${iface} is routed by table ${elsewhere.table}, as what comes in by ${elsewhere.rules[0]?.iif ?? other} is`,
      `ip route get ${targets[0]} from ${ipv4ToString(requests[0]!.f.original.src)} iif ${iface}  # afterwards: dev ${other}`,
      '# persist it where the gateway is configured (Kube-OVN: the gateway\'s init adds its ip rules; restarting the vpc-nat-gw pod runs it again)',
    ] : [
      inside
        ? `ip route replace default via <next hop on ${other}> dev ${other}${neighbours.length ? `  # ${other}'s neighbours: ${neighbours.slice(0, 4).join(', ')}` : ''}`
        : `ip route add <subnet of ${targets[0]}> via <router on ${other}> dev ${other}${neighbours.length ? `  # ${other}'s neighbours: ${neighbours.slice(0, 4).join(', ')}` : ''}`,
      `ip route get ${targets[0]}  # afterwards: dev ${other}`,
      "# persist it where the gateway is configured (Kube-OVN: the VpcNatGateway's external subnet gateway, and routes for every VPC subnet via the VPC side)",
    ],
    flows,
  );
}

/**
 * Under policy routing (`ip rule`), a routing table the rules do not look up for what comes in by `iface` that would send
 * `dst` out `other` (a unicast route by that device): the table a missing rule should select. With it, the rules that
 * do look that table up (for another interface, say). Null without an `ip rule` list, or when no such table exists.
 */
function tableElsewhere(ctx: CheckContext, iface: string, other: string, dst: number, src: number): { table: string; route: Route; rules: PolicyRule[] } | null {
  const snapshot = ctx.snapshot;
  if (!snapshot) return null;
  const view = hostView(snapshot);
  if (view.policy === null) return null;
  const used = lookupRoute(view, dst, { src, iif: iface, mark: 0 });
  const usedTable = used.kind === 'route' ? used.table : null;
  for (const [t, list] of view.tables) {
    if (t === 'local' || t === usedTable) continue;
    const route = list.find((x) => routeMatches(x, dst));
    if (!route || route.type !== 'unicast' || route.dev !== other) continue;
    const rules = view.policy.filter((r) => r.action === 'lookup' && tableName(r.table ?? 'main') === t);
    return { table: t, route, rules };
  }
  return null;
}

/** The destination has no route: ICMP net-unreachable back, or the snapshot's routing table ends there. */
function unreachableFinding(ctx: CheckContext): Finding[] {
  // Routes gone because the interface they led through is set down: interface-down names that, and its fix.
  const answered = ctx.flows.filter(
    (f) =>
      f.forwarded === 0 &&
      downLinkOf(ctx, f) === null &&
      f.ingressIface >= 0 &&
      // `REJECT --reject-with icmp-net-unreachable` sends the same ICMP: the rule, not routing, explains it —
      // and where the snapshot's routing table routes the destination, a rule it lacks is likelier than no route.
      !droppedBy(f, 'forward-chain') &&
      !routedBySnapshot(f) &&
      (droppedBy(f, 'no-route') || f.errors.some((e) => e.fromGateway && isUnreachable(e.type, e.code) && e.iface === f.ingressIface)),
  );
  // The kernel rate-limits its ICMP errors (icmp_ratelimit, per destination): flows silently stopped on their way
  // to a destination the gateway called unreachable for another flow met the same missing route.
  const unreachable = new Set(answered.map((f) => f.original.dst));
  const flows = ctx.flows.filter(
    (f) =>
      answered.includes(f) ||
      // A flow the gateway answered with a reset in the far end's name was REJECTed, not routed nowhere.
      (f.disposition === 'stopped-at-gateway' && f.ingressIface >= 0 && unreachable.has(f.original.dst) && f.trace?.disposition.kind !== 'dropped' && !gatewayResets(f).length && downLinkOf(ctx, f) === null),
  );
  if (!flows.length) return [];
  const evidence: Evidence[] = [];
  for (const f of flows) {
    const e = f.errors.find((x) => x.fromGateway && isUnreachable(x.type, x.code));
    if (e) evidence.push(errorEvidence(ctx, e, `the gateway answered ${f.id} with "network unreachable"`));
    const step = f.trace?.steps.find((s) => s.stage === 'routing');
    if (step && step.source) evidence.push({ kind: 'note', text: `routing for ${ipv4ToString(f.original.dst)}: ${step.note}` });
  }
  const confirmedBySnapshot = flows.some((f) => droppedBy(f, 'no-route'));
  const dsts = [...new Set(flows.map((f) => ipv4ToString(f.original.dst)))];
  const routes = ctx.snapshot?.host.routes.filter((r) => r.family === 4) ?? [];
  const haveRoutes = ctx.snapshot?.host.have.routes ?? false;
  const hasDefault = routes.some((r) => r.dst === null && r.type === 'unicast');
  for (const r of routes.slice(0, 4)) evidence.push({ kind: 'route', file: r.source.file, line: r.source.line, text: r.text });
  return [
    finding(
      'no-route',
      'error',
      confirmedBySnapshot ? 'confirmed' : 'likely',
      'The gateway has no route to the destination',
      `${plural(flows.length, 'flow')} to ${dsts.join(', ')} stopped at the gateway${flows.some((f) => f.errors.length) ? ', which sent ICMP network unreachable back' : ''}: no route matches${haveRoutes && !hasDefault ? ' (the routing table has no default route)' : ''}.`,
      uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
      [
        `ip route add default via <upstream-gateway> dev ${ctx.correlation.roles.outside ?? '<outside-interface>'}  # or a route for ${dsts.join(', ')}`,
        '# persist it where the gateway is configured (Kube-OVN: the VpcNatGateway / its external subnet gateway)',
      ],
      flows,
    ),
  ];
}
