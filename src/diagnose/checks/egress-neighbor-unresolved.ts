import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameAtEvidence, frameEvidence, neighbourEvidence, uniqueEvidence } from '../evidence.js';
import { ipv4ToString as ip, macToString } from '../../model/address.js';
import {
  arpEvidence, askedByGateway, claimEvidence, claimMacs, foreignClaims, isUnresolvedState, neighbour, otherHolderFix, staleNextHopMac, unansweredArp,
} from '../arp-facts.js';
import type { ArpClaim } from '../../correlate/arp-tracker.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import { leftAs, type AssembledFlow } from '../../correlate/flow-assembly.js';

/**
 * The address the gateway itself (among others) asked for most on `egress` without an answer: the
 * next hop it was trying to reach, when the snapshot holds no route to say so. Null when there is none.
 */
function askedForByGateway(ctx: CheckContext, egress: string): number | null {
  const e = ctx.ifaceIndex(egress);
  let best: number | null = null;
  let most = 0;
  for (const q of ctx.correlation.state.arp.questions.values()) {
    if (q.iface !== e || q.replies > 0 || q.requests <= most || !askedByGateway(ctx, q)) continue;
    best = q.target;
    most = q.requests;
  }
  return best;
}

/** The source address a flow's packets leave with after SNAT (or MASQUERADE), as the simulator predicts; null without one. */
function snatSource(f: AssembledFlow): number | null {
  const r = f.trace?.rewrites.find((x) => x.kind === 'SNAT' || x.kind === 'MASQUERADE');
  return r ? r.after.src : null;
}

/**
 * The other face of an address conflict: the gateway asks for its next hop from the address its packets leave with
 * (their SNAT source), and the hop answers the gateway's other addresses but never that one — because another MAC
 * claims it (a router will not answer a sender it takes for its own address, or for a host it knows by another MAC).
 */
function conflictingAsker(ctx: CheckContext, f: AssembledFlow, e: number, hop: number): { asker: number; claims: ArpClaim[] } | null {
  const asker = snatSource(f);
  const q = ctx.correlation.state.arp.questions.get(`${e}|${hop}`);
  if (asker === null || !q || !q.askers.has(asker) || q.answered.has(asker)) return null;
  const claims = foreignClaims(ctx, e, asker);
  return claims.length ? { asker, claims } : null;
}

export const egressNeighborUnresolved: Check = {
  id: 'egress-neighbor-unresolved',
  description:
    'Translated packets never leave: the gateway asks by ARP for the next hop on the egress side and nobody answers. Or they leave addressed to a MAC the next hop (or the DNAT backend on the link) does not speak from — its ARP or its own packets show the real one — (a stale or static neighbour entry), and nothing comes back.',
  rank: 2,
  run(ctx: CheckContext) {
    return [...unresolvedFindings(ctx), ...staleMacFindings(ctx)];
  },
};

/** Flows that left for a next hop at a MAC it does not speak from (`staleNextHopMac`), by hop and MAC. */
function staleMacFindings(ctx: CheckContext) {
  const groups = new Map<string, { hop: number; sentTo: number; byEntry: boolean; spoke: readonly ArpClaim[]; byPackets: boolean; egress: number; flows: AssembledFlow[]; replies: AssembledFlow[] }>();
  for (const f of ctx.flows) {
    if (f.disposition !== 'no-reply') continue;
    const s = staleNextHopMac(ctx, f);
    if (!s) continue;
    const k = `${s.hop}|${s.sentTo}`;
    const g = groups.get(k) ?? { hop: s.hop, sentTo: s.sentTo, byEntry: s.byEntry, spoke: s.spoke, byPackets: s.byPackets, egress: s.out.iface, flows: [], replies: [] };
    g.flows.push(f);
    groups.set(k, g);
  }
  // The same host's own flows: their replies go back to it through the same entry, to the same MAC, and are lost as
  // surely — though, having left the gateway, the flows count as delivered.
  for (const f of ctx.flows) {
    const back = f.egress?.replyPeer;
    if (!back || f.ingressIface < 0) continue;
    const g = groups.get(`${f.original.src}|${back.dstMac}`);
    if (g && back.iface === g.egress && f.first.srcMac !== back.dstMac) g.replies.push(f);
  }
  return [...groups.values()].map((g) => {
    const egress = ctx.ifaceName(g.egress);
    const right = g.spoke[0]!;
    const n = neighbour(ctx, g.hop);
    const fixed = n?.states.includes('PERMANENT') ?? false;
    const evidence: Evidence[] = [];
    if (n) evidence.push(neighbourEvidence(n));
    for (const c of g.spoke.slice(0, 2)) {
      evidence.push(
        frameAtEvidence(
          ctx,
          c.firstFrame,
          g.egress,
          g.byPackets
            ? `${ip(g.hop)}'s own packet from ${macToString(c.mac)} — its MAC (${plural(c.count, 'packet')} sampled)`
            : `ARP from ${ip(g.hop)} at ${macToString(c.mac)} — the next hop's own MAC (${plural(c.count, 'frame')})`,
        ),
      );
    }
    // A cooked capture (-i any) keeps no destination MAC: what the frames were addressed to is the entry's.
    const sentTo = g.byEntry ? `, sent to ${macToString(g.sentTo)} by its neighbour entry (the capture keeps no destination MAC)` : ` addressed to ${macToString(g.sentTo)}`;
    for (const f of g.flows.slice(0, 4)) evidence.push(frameEvidence(ctx, leftAs(f)!, `${f.id} left for ${ip(g.hop)}${sentTo}; nothing came back`));
    for (const f of g.replies.slice(0, 2)) evidence.push(frameEvidence(ctx, f.egress!.replyPeer!, `a reply of ${f.id}, ${ip(g.hop)}'s own flow, left for it addressed to ${macToString(g.sentTo)}`));
    return finding(
      'egress-neighbor-unresolved',
      'error',
      'confirmed',
      `The gateway sends what goes via ${ip(g.hop)} to ${macToString(g.sentTo)}, but ${ip(g.hop)} is at ${macToString(right.mac)}`,
      `${plural(g.flows.length, 'flow')} left ${egress} translated, ${g.byEntry ? `sent by the gateway's neighbour entry to ${macToString(g.sentTo)} (the -i any capture keeps no destination MAC to show it)` : `addressed at the link layer to ${macToString(g.sentTo)}`} for the next hop ${ip(g.hop)}; ` +
        `${ip(g.hop)} itself speaks from ${g.spoke.map((c) => macToString(c.mac)).join(', ')} (${g.byPackets ? 'the packets it sends through the gateway' : 'its own ARP'} on ${egress}). The frames for ${macToString(g.sentTo)} are nobody's, so ${g.byPackets ? ip(g.hop) : 'the next hop'} never takes them and nothing comes back.` +
        (g.replies.length
          ? ` The replies to ${ip(g.hop)}'s own traffic (${g.replies.map((f) => f.id).join(', ')}) leave for it addressed to ${macToString(g.sentTo)} too: they never reach it, though its requests pass.`
          : '') +
        (n
          ? ` The gateway's neighbour entry for ${ip(g.hop)} holds ${n.lladdr ?? 'no address'} (${n.states.join(', ')})${fixed ? ': a static entry, which ARP never corrects — left from a router that was replaced, or written for another one' : ': a stale entry the kernel has not yet replaced'}.`
          : ' The snapshot has no neighbour table to show the entry (ip neigh).'),
      uniqueEvidence(evidence, 12),
      [
        `ip neigh replace ${ip(g.hop)} lladdr ${macToString(right.mac)} dev ${egress}  # or let ARP resolve it: ip neigh del ${ip(g.hop)} dev ${egress}`,
        ...(fixed ? ['# a static entry comes back at boot from wherever it was configured (netplan, /etc/network/interfaces, a script): remove it there too'] : []),
      ],
      g.flows,
    );
  });
}

function unresolvedFindings(ctx: CheckContext) {
  const byHop = new Map<number, { flows: AssembledFlow[]; egress: string; inferred: boolean; conflict: { asker: number; claims: ArpClaim[] } | null }>();
  for (const f of ctx.flows) {
    if (f.disposition !== 'stopped-at-gateway') continue;
    const d = f.trace?.disposition;
    if (!d || d.kind !== 'forwarded') continue;
    // Without routes in the snapshot the next hop is unknown: the address the gateway itself kept asking for there.
    const hop = d.nextHop ?? askedForByGateway(ctx, d.egress);
    if (hop === null) continue;
    // A DNAT backend that does not answer is dnat-backend-unreachable's.
    if (f.trace!.rewrites.some((r) => r.kind === 'DNAT' && r.after.dst === hop)) continue;
    const e = ctx.ifaceIndex(d.egress);
    const unanswered = e >= 0 ? unansweredArp(ctx, e, hop) : null;
    const n = neighbour(ctx, hop);
    // A conflict over the address the gateway asks from explains the silence better than a hop that is down.
    const conflict = e >= 0 ? conflictingAsker(ctx, f, e, hop) : null;
    if (!unanswered && !(n && isUnresolvedState(n.states)) && !conflict) continue;
    const g = byHop.get(hop) ?? { flows: [], egress: d.egress, inferred: d.nextHop === null, conflict: null };
    g.flows.push(f);
    g.conflict ??= conflict;
    byHop.set(hop, g);
  }
  const out = [];
  for (const [hop, g] of byHop) {
    if (g.conflict) {
      out.push(conflictFinding(ctx, hop, g.egress, g.flows, g.conflict));
      continue;
    }
    const e = ctx.ifaceIndex(g.egress);
    const q = e >= 0 ? unansweredArp(ctx, e, hop) : null;
    const n = neighbour(ctx, hop);
    const evidence: Evidence[] = [];
    if (q) evidence.push(...arpEvidence(ctx, q, `the gateway asks for its next hop on ${g.egress}; no reply`));
    if (n) evidence.push(neighbourEvidence(n));
    const route = ctx.snapshot?.host.routes.find((r) => r.family === 4 && r.via === hop);
    if (route) evidence.push({ kind: 'route', file: route.source.file, line: route.source.line, text: route.text });
    out.push(
      finding(
        'egress-neighbor-unresolved',
        'error',
        q && !g.inferred ? 'confirmed' : 'likely',
        `The next hop ${ip(hop)} on ${g.egress} does not answer ARP`,
        `${plural(g.flows.length, 'flow')} should leave by ${g.egress} via ${ip(hop)}, but ${q ? `the gateway's ${plural(q.requests, 'ARP request')} for it went unanswered` : 'its neighbour entry is unresolved'}, so the translated packets never left.` +
          (g.inferred ? ` The snapshot has no routes: ${ip(hop)} is taken for the next hop because it is the address the gateway kept asking for on ${g.egress}; \`ip route\` confirms it.` : ''),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, g.flows)], 16),
        [
          `ip neigh show ${ip(hop)} dev ${g.egress}; arping -I ${g.egress} -c 3 ${ip(hop)}  # is the upstream gateway up?`,
          `# if the default route names the wrong address: ip route replace default via <correct-gateway> dev ${g.egress}`,
        ],
        g.flows,
      ),
    );
  }
  return out;
}

function conflictFinding(ctx: CheckContext, hop: number, egress: string, flows: AssembledFlow[], c: { asker: number; claims: ArpClaim[] }) {
  const e = ctx.ifaceIndex(egress);
  const q = ctx.correlation.state.arp.questions.get(`${e}|${hop}`)!;
  const macs = claimMacs(c.claims);
  const evidence: Evidence[] = [
    ...arpEvidence(ctx, q, `the gateway asks for its next hop on ${egress}; answered for ${[...q.answered].map(ip).join(', ') || 'none of its addresses'}, never for ${ip(c.asker)}`),
    ...c.claims.slice(0, 2).map((k) => claimEvidence(ctx, k)),
  ];
  return finding(
    'egress-neighbor-unresolved',
    'error',
    'likely',
    `The next hop ${ip(hop)} does not answer the gateway asking from ${ip(c.asker)}: another host claims that address`,
    `${plural(flows.length, 'flow')} SNATed to ${ip(c.asker)} should leave by ${egress} via ${ip(hop)}, but the gateway's ARP requests for it sent from ${ip(c.asker)} got no answer${q.answered.size ? `, while those from ${[...q.answered].map(ip).join(', ')} did` : q.askers.size > 1 ? ', nor did those from its other addresses' : ''}. ${ip(c.asker)} is also claimed on ${egress} by ${macs} (ARP from a MAC that is none of the gateway's): an address conflict, and ${ip(hop)} will not answer a sender it knows by another MAC, or takes for its own address. The packets wait for a next hop and are dropped.`,
    uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
    [
      otherHolderFix(ctx, e, c.asker, c.claims, ip(hop)),
      `ip neigh show ${ip(hop)} dev ${egress}  # the gateway's view of its next hop`,
    ],
    flows,
  );
}
