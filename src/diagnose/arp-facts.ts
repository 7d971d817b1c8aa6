import type { Evidence } from '../model/analysis.js';
import { natOwnAddresses } from '../gateway/nat-addresses.js';
import { ipv4ToString, macToString } from '../model/address.js';
import { arpSwitchedOff, linkWithoutArp } from '../model/host.js';
import { frameAtEvidence } from './evidence.js';
import type { ArpClaim, ArpQuestion, ArpTracker } from '../correlate/arp-tracker.js';
import type { CheckContext } from './check.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';
import { Dir, type PacketInfo } from '../correlate/packet-info.js';
import { leftAs } from '../correlate/flow-assembly.js';
import { parseMac } from '../correlate/mac.js';

/** ARP requests for `target` on interface `iface` that nobody answered. */
export function unansweredArp(ctx: CheckContext, iface: number, target: number): ArpQuestion | null {
  const q = ctx.correlation.state.arp.questions.get(`${iface}|${target}`);
  return q && q.replies === 0 ? q : null;
}

export function arpEvidence(ctx: CheckContext, q: ArpQuestion, note: string): Evidence[] {
  const askers = [...q.askers].map(ipv4ToString).join(', ');
  const out: Evidence[] = [frameAtEvidence(ctx, q.firstFrame, q.iface, `ARP who-has ${ipv4ToString(q.target)} tell ${askers} — ${note}`)];
  if (q.requests > 1) {
    out.push(frameAtEvidence(ctx, q.lastFrame, q.iface, `ARP who-has ${ipv4ToString(q.target)} tell ${askers} — request ${q.requests} of ${q.requests}, still unanswered`));
  }
  return out;
}

/** The neighbour table entry for an address, when the snapshot has it. */
export function neighbour(ctx: CheckContext, address: number) {
  return ctx.snapshot?.host.neighbours.find((n) => n.family === 4 && n.v4 === address) ?? null;
}

export function isUnresolvedState(states: readonly string[]): boolean {
  return states.some((s) => s === 'FAILED' || s === 'INCOMPLETE');
}

/** Whether the gateway itself (one of its own addresses, `ip addr`) was among those asking `q`. */
export function askedByGateway(ctx: CheckContext, q: ArpQuestion): boolean {
  const local = ctx.correlation.state.options.localAddresses;
  for (const a of q.askers) if (local.has(a)) return true;
  return false;
}

/**
 * Whether captured interface `iface` is, in the snapshot, a link without ARP by nature (point-to-point: tun,
 * WireGuard, ppp; IP tunnels): nothing on it is resolved or announced by ARP, so no ARP fix applies.
 */
export function capturedLinkWithoutArp(ctx: CheckContext, iface: number): boolean {
  const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === ctx.ifaceName(iface));
  return !!itf && linkWithoutArp(itf);
}

/** Whether captured interface `iface` is, in the snapshot, an interface with ARP switched off holding `address`: nobody outside can resolve it. */
export function noarpHolds(ctx: CheckContext, iface: number, address: number): boolean {
  const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === ctx.ifaceName(iface));
  return !!itf && arpSwitchedOff(itf) && itf.addresses.some((a) => a.family === 4 && a.v4 === address);
}

/**
 * The gateway's own IPv4 addresses: from `ip addr`; without it, the ones its nat rules translate to and from
 * (its EIPs, nat-addresses.ts), which the outside must reach it by.
 */
export function gatewayOwnAddresses(ctx: CheckContext): ReadonlySet<number> {
  const known = ctx.correlation.state.options.localAddresses;
  return ctx.snapshot?.host.have.addresses ? known : new Set([...known, ...natOwnAddresses(ctx.snapshot?.rules ?? null, ctx.snapshot?.nft)]);
}

/**
 * Addresses the gateway translates to and from — the nat rules' EIPs (SNAT --to-source, DNAT -d) and the sources
 * its packets were seen leaving with, translated — that no interface of the gateway holds, by the snapshot's
 * `ip addr`: the gateway answers no ARP for them, so nothing addressed to them reaches it. Empty without `ip addr`
 * (then the rules' addresses stand in for its own instead).
 */
export function unassignedNatAddresses(ctx: CheckContext): ReadonlySet<number> {
  if (!ctx.snapshot?.host.have.addresses) return new Set();
  const held = new Set<number>();
  for (const i of ctx.snapshot.host.interfaces) for (const a of i.addresses) if (a.family === 4) held.add(a.v4 >>> 0);
  const used = natOwnAddresses(ctx.snapshot.rules, ctx.snapshot.nft);
  for (const f of ctx.flows) if (f.egress && f.observed && f.observed.src !== f.original.src) used.add(f.observed.src >>> 0);
  return new Set([...used].filter((a) => !held.has(a)));
}

/**
 * Hosts other than the gateway that spoke for `address` by ARP on interface `iface` (replied for it, or announced
 * it): an address conflict. The router then sends what is for the gateway to them. The gateway's own MACs are the
 * snapshot's and the one its matched packets showed on that interface; with neither known, nothing is claimed.
 */
export function foreignClaims(ctx: CheckContext, iface: number, address: number): ArpClaim[] {
  const state = ctx.correlation.state;
  const own = ownMacs(ctx, iface);
  if (own.size === 0) return [];
  const out: ArpClaim[] = [];
  for (const c of state.arp.claims.values()) if (c.iface === iface && c.address === address && !own.has(c.mac)) out.push(c);
  return out;
}

/** A conflicting claim's first frame as evidence: another MAC speaking for one of the gateway's addresses. */
export function claimEvidence(ctx: CheckContext, k: ArpClaim): Evidence {
  return frameAtEvidence(ctx, k.firstFrame, k.iface, `ARP: ${ipv4ToString(k.address)} is-at ${macToString(k.mac)} — another host speaks for the gateway's address (${k.count} time${k.count === 1 ? '' : 's'})`);
}

/** The MACs of conflicting claims, for a finding's text. */
export function claimMacs(claims: readonly ArpClaim[]): string {
  return claims.map((k) => macToString(k.mac)).join(', ');
}

/** The fix for an address conflict over `address` on `iface`: find the other holder (`where` to look at its ARP cache) and take the address away from it. */
export function otherHolderFix(ctx: CheckContext, iface: number, address: number, claims: readonly ArpClaim[], where: string): string {
  const a = ipv4ToString(address);
  return `# find the other holder of ${a} (${claimMacs(claims)}): arping -D -c 3 -I ${ctx.ifaceName(iface)} ${a}; ip neigh show ${a} on ${where}; remove the address there (or give this gateway another EIP)`;
}

/** The gateway's own MACs on captured interface `iface`: the snapshot's, and the one its matched packets showed there. */
function ownMacs(ctx: CheckContext, iface: number): Set<number> {
  const state = ctx.correlation.state;
  const own = new Set(state.options.gatewayMacs ?? []);
  const learned = state.options.macs.get(iface);
  if (learned !== undefined) own.add(learned);
  return own;
}

const spokeIndex = new WeakMap<ArpTracker, Map<string, ArpClaim[]>>();

/** Every MAC an address spoke from by ARP, by `${iface}|${address}` (made once per capture set: checks ask per flow). */
function spoken(arp: ArpTracker): Map<string, ArpClaim[]> {
  let m = spokeIndex.get(arp);
  if (!m) {
    m = new Map();
    for (const src of [arp.claims, arp.senders]) {
      for (const c of src.values()) {
        const k = `${c.iface}|${c.address}`;
        const list = m.get(k);
        if (list) list.push(c);
        else m.set(k, [c]);
      }
    }
    spokeIndex.set(arp, m);
  }
  return m;
}

/** MACs other than the gateway's that `address` spoke from by ARP on `iface`: its answers, announcements and requests. */
export function macsSpeakingFor(ctx: CheckContext, iface: number, address: number): ArpClaim[] {
  const own = ownMacs(ctx, iface);
  return (spoken(ctx.correlation.state.arp).get(`${iface}|${address}`) ?? []).filter((c) => !own.has(c.mac));
}

/**
 * A flow that left translated, addressed at the link layer to a MAC its next hop does not speak from: the gateway's
 * neighbour entry for the hop is stale (a static one left from a replaced router, a cache that outlived a failover).
 * The hop's own ARP (a request it sent, an answer, an announcement) shows its MAC; the frames for the old one are
 * nobody's, so nothing comes back. Null unless the captures show the hop speaking, and never from the MAC used.
 */
export function staleNextHopMac(
  ctx: CheckContext,
  f: AssembledFlow,
): { readonly hop: number; readonly sentTo: number; readonly byEntry: boolean; readonly spoke: readonly ArpClaim[]; readonly byPackets: boolean; readonly out: PacketInfo } | null {
  const hop = nextHopSentTo(ctx, f);
  if (!hop) return null;
  const heard = macsSpeakingFor(ctx, hop.out.iface, hop.address);
  // Without its ARP, a host the packets were for (a DNAT backend on the link) speaks by its own IP packets: those it
  // sends through the gateway arrive from its MAC. (A router's are others' packets, from whatever MAC it forwards
  // them: only its ARP tells.)
  const own = heard.length || f.observed?.dst !== hop.address ? [] : macsSendingFrom(ctx, hop.out.iface, hop.address);
  const spoke = heard.length ? heard : own;
  if (!spoke.length || spoke.some((c) => c.mac === hop.sentTo)) return null;
  return { hop: hop.address, sentTo: hop.sentTo, byEntry: hop.byEntry, spoke, byPackets: !heard.length, out: hop.out };
}

const senderIndex = new WeakMap<readonly AssembledFlow[], Map<string, ArpClaim[]>>();

/**
 * MACs other than the gateway's that IP packets from `address` arrived on `iface` from: the host's own traffic through
 * the gateway (its flows' first packets and samples), as claims counted by packet. Indexed once per analysis.
 */
function macsSendingFrom(ctx: CheckContext, iface: number, address: number): ArpClaim[] {
  let m = senderIndex.get(ctx.flows);
  if (!m) {
    m = new Map();
    for (const f of ctx.flows) {
      if (f.ingressIface < 0) continue;
      for (const p of f.ingress.samples) {
        if (p.dir !== Dir.IN || p.connDir !== 0 || p.src !== f.original.src || p.srcMac === 0) continue;
        const k = `${p.iface}|${p.src}`;
        const list = m.get(k) ?? [];
        const c = list.find((x) => x.mac === p.srcMac);
        if (c) c.count++;
        else list.push({ iface: p.iface, address: p.src, mac: p.srcMac, count: 1, firstFrame: { file: p.file, frame: p.frame, tsSec: p.tsSec, tsNsec: p.tsNsec } });
        m.set(k, list);
      }
    }
    senderIndex.set(ctx.flows, m);
  }
  const own = ownMacs(ctx, iface);
  return (m.get(`${iface}|${address}`) ?? []).filter((c) => !own.has(c.mac));
}

/**
 * The next hop a flow that left translated was sent to, its copy as it left, and the MAC it was sent to: the route's
 * hop, or — a snapshot without routes — the neighbour entry on the egress interface that holds the MAC the copy was
 * addressed to. A Linux cooked capture (`tcpdump -i any`) keeps no destination MAC: then the MAC is the one the
 * gateway's neighbour entry for the route's hop holds (`byEntry`), which is where the kernel sends.
 */
export function nextHopSentTo(ctx: CheckContext, f: AssembledFlow): { readonly address: number; readonly out: PacketInfo; readonly sentTo: number; readonly byEntry: boolean } | null {
  const d = f.trace?.disposition;
  // The copy that left; for a flow only seen leaving (its way in not captured), the packet itself — without a walk
  // (translated: its source before NAT unknown), its hop told by the neighbour entry for the MAC it went to.
  const out = leftAs(f);
  if (!out) return null;
  if (d ? d.kind !== 'forwarded' : f.unseenIngress === undefined) return null;
  const dev = ctx.ifaceName(out.iface);
  if (out.dstMac === 0) {
    if (d?.kind !== 'forwarded' || d.nextHop === null) return null;
    const hop = d.nextHop;
    const n = ctx.snapshot?.host.neighbours.find((x) => x.family === 4 && x.dev === dev && x.v4 === hop);
    const mac = n?.lladdr ? parseMac(n.lladdr) : -1;
    return mac > 0 ? { address: hop, out, sentTo: mac, byEntry: true } : null;
  }
  if (d?.kind === 'forwarded' && d.nextHop !== null) return { address: d.nextHop, out, sentTo: out.dstMac, byEntry: false };
  const mac = macToString(out.dstMac);
  const n = ctx.snapshot?.host.neighbours.find((x) => x.family === 4 && x.dev === dev && x.lladdr?.toLowerCase() === mac);
  return n ? { address: n.v4, out, sentTo: out.dstMac, byEntry: false } : null;
}

/**
 * The snapshot's static (PERMANENT) neighbour entry for the hop a flow was sent to, holding the MAC it was sent to,
 * when the captures do not show the hop's own MAC (no ARP from it): a suspect, not a proof. Null otherwise.
 */
export function staticNextHopEntry(ctx: CheckContext, f: AssembledFlow) {
  const hop = nextHopSentTo(ctx, f);
  if (!hop || macsSpeakingFor(ctx, hop.out.iface, hop.address).length) return null;
  const n = neighbour(ctx, hop.address);
  return n && n.states.includes('PERMANENT') && n.lladdr?.toLowerCase() === macToString(hop.sentTo) ? n : null;
}
