import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString, macToString } from '../../model/address.js';
import type { ForeignDelivery } from '../../correlate/correlator.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, frameAtEvidence, frameEvidence, neighbourEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { hairpinUnmasqueraded, isFragNeeded, plural, unrelayedError, uTurned } from '../flow-facts.js';
import type { Neighbour } from '../../model/host.js';
import { arpEvidence, staleNextHopMac, staticNextHopEntry, claimEvidence, claimMacs, foreignClaims, gatewayOwnAddresses, capturedLinkWithoutArp, noarpHolds, otherHolderFix, unansweredArp, unassignedNatAddresses } from '../arp-facts.js';
import { leftAs, type AssembledFlow } from '../../correlate/flow-assembly.js';
import type { ArpClaim, ArpQuestion } from '../../correlate/arp-tracker.js';
import type { QuotedError } from '../../correlate/connection.js';
import { Dir, type PacketInfo } from '../../correlate/packet-info.js';
import { Proto, TcpFlag } from '../../model/packet.js';
import type { RuleRef } from '../../model/trace.js';
import { chainTool, listChainCommand } from '../rule-commands.js';

/** What an ICMP error a host beyond the gateway sent says, in words (RFC 792, RFC 1122, RFC 1812 codes). */
export function icmpErrorName(type: number, code: number): string {
  if (type === 3) {
    const names: Record<number, string> = {
      0: 'network unreachable',
      1: 'host unreachable',
      2: 'protocol unreachable',
      3: 'port unreachable',
      4: 'fragmentation needed',
      6: 'network unknown',
      7: 'host unknown',
      9: 'network administratively prohibited',
      10: 'host administratively prohibited',
      13: 'communication administratively prohibited',
    };
    return names[code] ?? `destination unreachable (code ${code})`;
  }
  if (type === 11) return code === 1 ? 'fragment reassembly time exceeded' : 'time exceeded (TTL)';
  if (type === 12) return 'parameter problem';
  if (type === 4) return 'source quench';
  if (type === 5) return 'redirect';
  return `ICMP type ${type} code ${code}`;
}

/**
 * ICMP errors about a flow that a host beyond the gateway sent (not one of the gateway's addresses): arriving on
 * the flow's egress, and their copies the gateway relayed back out its ingress (the NAT undone).
 */
function upstreamErrors(f: AssembledFlow, own: ReadonlySet<number>): { arrived: QuotedError[]; relayed: QuotedError[] } {
  const egress = f.egress?.iface ?? -1;
  const arrived = f.errors.filter((e) => !own.has(e.src) && e.iface === egress && e.dir === Dir.IN);
  if (!arrived.length) return { arrived, relayed: [] };
  // What left the ingress after the first one came in: the relayed copies. Their source is the far side's, or
  // (a DNATed flow's) the EIP: the NAT is undone on the error's own header too.
  const from = arrived[0]!.t;
  const relayed = f.errors.filter((e) => e.iface === f.ingressIface && e.dir === Dir.OUT && e.t >= from);
  return { arrived, relayed };
}

/** Another host that spoke by ARP for the address a flow's replies must come back to, on the interface they come by. */
interface Conflict {
  readonly address: number;
  readonly iface: number;
  readonly claims: readonly ArpClaim[];
}

/** What the flows that got no reply show, sorted out once for the finding's title, detail, evidence and fix. */
interface Facts {
  readonly flows: readonly AssembledFlow[];
  readonly errors: ReadonlyMap<AssembledFlow, { arrived: QuotedError[]; relayed: QuotedError[] }>;
  /** Answered by ICMP errors from beyond instead of replies. */
  readonly refused: readonly AssembledFlow[];
  /** Given no answer at all: to a destination that refused others (ICMP rate limits), and the rest. */
  readonly rateLimited: readonly AssembledFlow[];
  readonly unanswered: readonly AssembledFlow[];
  readonly refusedDsts: readonly string[];
  /** Who sent the errors, and what they said. */
  readonly senders: readonly string[];
  readonly kinds: readonly string[];
  readonly conflicts: readonly Conflict[];
  /** Every flow leaves by the inside (DNATed to a backend): the far side is the VPC's. */
  readonly vpcSide: boolean;
  /** Hosts the flows went to that asked by ARP for another next hop than the gateway: their route back avoids it. */
  readonly detours: readonly Detour[];
  /** A static neighbour entry the flows were sent by: if the next hop changed its MAC, the entry still holds the old one. */
  readonly staticHop: Neighbour | null;
  /** Frames for the addresses the replies must come back to, captured arriving addressed to a MAC that is not the gateway's. */
  readonly misaddressed: readonly ForeignDelivery[];
  /**
   * Silent destinations that are up and reach back through the gateway all the same: a backend whose own traffic
   * passes both ways through it (VPC side), or a far end that answers other flows to it from the same address. What
   * drops these requests is then the destination's firewall, or a filter on the way by port or protocol.
   */
  readonly alive: readonly { readonly host: number; readonly flow: AssembledFlow }[];
}

function aliveOf(ctx: CheckContext, unanswered: readonly AssembledFlow[], vpcSide: boolean): Facts['alive'] {
  // The delivered flows, indexed once by what shows a host up: its own source (VPC side), or destination and the
  // address the flow left from (upstream). The first delivered flow of each key, as a scan in order would find it.
  const keyOf = (host: number, from: number): string => (vpcSide ? `${host}` : `${host}|${from}`);
  const delivered = new Map<string, AssembledFlow>();
  for (const g of ctx.flows) {
    if (g.disposition !== 'delivered' || g.observed === null) continue;
    const k = vpcSide ? keyOf(g.original.src, 0) : keyOf(g.observed.dst, g.observed.src);
    if (!delivered.has(k)) delivered.set(k, g);
  }
  const out = new Map<number, { host: number; flow: AssembledFlow }>();
  for (const f of unanswered) {
    const host = f.observed!.dst;
    if (out.has(host)) continue;
    const other = delivered.get(keyOf(host, f.observed!.src));
    if (other) out.set(host, { host, flow: other });
  }
  return [...out.values()];
}

/** A host a flow went to that asked, on the interface the flow left by, for an address that is not the gateway's. */
interface Detour {
  readonly host: number;
  readonly q: ArpQuestion;
  readonly answered: boolean;
}

/**
 * Where the hosts that got the flows and answered nothing send what they send: on the link they share with the
 * gateway, a host that asks by ARP for an address that is none of the gateway's (nor the flow's source, which a
 * host on that link would ask for itself) is resolving its next hop for the replies — a route back that does
 * not go through the gateway, whose conntrack alone could undo the NAT. Unanswered, the replies go nowhere at all.
 */
function detoursOf(ctx: CheckContext, flows: readonly AssembledFlow[], own: ReadonlySet<number>): Detour[] {
  const out = new Map<string, Detour>();
  // The questions by interface and asker, once: many flows may have gone unanswered.
  const asked = new Map<string, ArpQuestion[]>();
  for (const q of ctx.correlation.state.arp.questions.values()) {
    for (const a of q.askers) {
      const k = `${q.iface}|${a}`;
      const list = asked.get(k);
      if (list) list.push(q);
      else asked.set(k, [q]);
    }
  }
  for (const f of flows) {
    const host = f.observed!.dst;
    for (const q of asked.get(`${f.egress!.iface}|${host}`) ?? []) {
      if (own.has(q.target) || q.target === f.observed!.src) continue;
      out.set(`${host}|${q.target}`, { host, q, answered: q.answered.has(host) });
    }
  }
  return [...out.values()].sort((a, b) => Number(a.answered) - Number(b.answered));
}

/**
 * What came back for the flows' translated source addresses addressed to another MAC than the gateway's: the frames a
 * promiscuous capture holds and the kernel drops (not for this host). The upstream's ARP entry for the address is
 * stale — the gateway's interface got a new MAC (a restarted Kube-OVN NAT gateway pod's macvlan net1, a replaced
 * NIC) and the router still sends to the old one until its cache expires.
 */
function misaddressedOf(ctx: CheckContext, flows: readonly AssembledFlow[]): ForeignDelivery[] {
  const out = new Map<string, ForeignDelivery>();
  for (const f of flows) {
    const k = `${f.egress!.iface}|${f.observed!.src}`;
    const d = ctx.correlation.state.foreignTo.get(k);
    if (d) out.set(k, d);
  }
  return [...out.values()];
}

function factsOf(ctx: CheckContext, flows: readonly AssembledFlow[], own: ReadonlySet<number>): Facts {
  const errors = new Map(flows.map((f) => [f, upstreamErrors(f, own)]));
  const refused = flows.filter((f) => errors.get(f)!.arrived.length > 0);
  const refusedDsts = [...new Set(refused.map((f) => ipv4ToString(f.observed!.dst)))];
  const silent = flows.filter((f) => errors.get(f)!.arrived.length === 0);
  // Hosts rate-limit their ICMP errors (icmp_ratelimit, per destination): flows to a destination that refused
  // others and got no answer at all were most likely refused too.
  const rateLimited = silent.filter((f) => refusedDsts.includes(ipv4ToString(f.observed!.dst)));
  const unanswered = silent.filter((f) => !rateLimited.includes(f));
  // Another host speaking for the address the replies must come back to (an address conflict: a stale VM, a second
  // gateway holding the same EIP): the router's ARP cache may send them there.
  const conflicts = new Map<string, Conflict>();
  for (const f of unanswered) {
    const claims = foreignClaims(ctx, f.egress!.iface, f.observed!.src);
    if (claims.length) conflicts.set(`${f.egress!.iface}|${f.observed!.src}`, { address: f.observed!.src, iface: f.egress!.iface, claims });
  }
  const arrived = refused.flatMap((f) => errors.get(f)!.arrived);
  const inside = ctx.correlation.roles.inside;
  const vpcSide = inside !== null && flows.every((f) => ctx.ifaceName(f.egress!.iface) === inside);
  const detours = detoursOf(ctx, unanswered, own);
  const misaddressed = misaddressedOf(ctx, unanswered);
  return {
    flows,
    errors,
    refused,
    rateLimited,
    unanswered,
    refusedDsts,
    senders: [...new Set(arrived.map((e) => ipv4ToString(e.src)))],
    kinds: [...new Set(arrived.map((e) => icmpErrorName(e.type, e.code)))],
    conflicts: [...conflicts.values()],
    vpcSide,
    detours,
    staticHop: unanswered.map((f) => staticNextHopEntry(ctx, f)).find((n) => n !== null) ?? null,
    misaddressed,
    // Where the replies are shown going elsewhere, that is the story, not the destination's own filter.
    alive: detours.length || conflicts.size || misaddressed.length ? [] : aliveOf(ctx, unanswered, vpcSide),
  };
}

const list = (xs: readonly string[]): string => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? '…' : ''}`;

/** The far side that refused is the destination itself (not a router or firewall on the way). */
function destinationRefuses(x: Facts): boolean {
  return x.senders.every((s) => x.refusedDsts.includes(s));
}

function titleOf(x: Facts): string {
  const m = x.misaddressed[0];
  if (m) return `What comes back for ${ipv4ToString(m.dst)} is addressed to ${macToString(m.mac)}, not to the gateway: the upstream's ARP entry for it is stale`;
  if (x.conflicts.length) return `Another host answers for ${list(x.conflicts.map((c) => ipv4ToString(c.address)))}: the replies go to it, not to the gateway`;
  const dsts = [...new Set(x.flows.map((f) => ipv4ToString(f.observed!.dst)))];
  const d = x.detours[0];
  if (!x.refused.length && d && x.flows.every((f) => x.detours.some((e) => e.host === f.observed!.dst))) {
    const hosts = [...new Set(x.detours.map((e) => ipv4ToString(e.host)))];
    return `${list(hosts)} ${hosts.length === 1 ? 'sends its' : 'send their'} replies via ${ipv4ToString(d.q.target)}, not back through the gateway`;
  }
  if (!x.refused.length) return `No reply comes back from ${list(dsts)}`;
  const kinds = x.kinds.join(', ');
  if (x.unanswered.length) return `No reply comes back from ${list(dsts)}; ${list(x.senders)} answers some with ${kinds}`;
  if (destinationRefuses(x)) return `${list(x.refusedDsts)} ${x.refusedDsts.length === 1 ? 'refuses' : 'refuse'} the flows the gateway forwards: ${kinds} comes back instead of replies`;
  return `${list(x.senders)} beyond the gateway ${x.senders.length === 1 ? 'answers' : 'answer'} ${kinds} for ${list(x.refusedDsts)}: the flows go no further`;
}

function detailOf(ctx: CheckContext, x: Facts): string {
  const n = plural(x.flows.length, 'flow');
  let text: string;
  if (!x.refused.length) {
    text = `${n} left the gateway correctly translated and nothing came back while the captures ran.`;
  } else {
    const relayedAll = x.refused.every((f) => x.errors.get(f)!.relayed.length > 0);
    const loop = x.refused.some((f) => x.errors.get(f)!.arrived.some((e) => e.type === 11 && e.code === 0));
    text =
      `${n} left the gateway correctly translated. Instead of replies to ${plural(x.refused.length, 'flow')}, ${list(x.senders)} sent ICMP ${x.kinds.join(', ')}` +
      `${relayedAll ? ', which the gateway relayed back to the senders with the NAT undone' : ''}: the gateway forwarded the requests and ` +
      `${destinationRefuses(x) ? 'the destination refuses them (a firewall REJECT there, or nothing serving)' : 'a router or firewall beyond it refuses them'}.` +
      (loop ? ' Time exceeded for packets that left with a full TTL means a routing loop beyond the gateway.' : '');
    const r = x.rateLimited.length;
    if (r) text += ` ${plural(r, 'flow')} to the same destination got no answer at all: hosts rate-limit their ICMP errors, so ${r === 1 ? 'it was' : 'they were'} most likely refused too.`;
    if (x.unanswered.length) text += ` ${plural(x.unanswered.length, 'flow')} got nothing back at all while the captures ran.`;
  }
  if (x.conflicts.length) {
    const claimed = x.conflicts.map((c) => `${ipv4ToString(c.address)} is also claimed on ${ctx.ifaceName(c.iface)} by ${claimMacs(c.claims)}`).join('; ');
    text += ` An address conflict explains it: ${claimed} (ARP from a MAC that is none of the gateway's), so the upstream's ARP cache may send the replies there.`;
  }
  for (const m of x.misaddressed.slice(0, 2)) {
    text += ` ${plural(m.count, 'frame')} for ${ipv4ToString(m.dst)} did arrive on ${ctx.ifaceName(m.iface)}, addressed to ${macToString(m.mac)}, which is none of the gateway's MACs: the kernel takes them for another host's and drops them. The upstream's ARP cache holds an old MAC for ${ipv4ToString(m.dst)} — the interface got a new one (a restarted NAT gateway pod's macvlan, a replaced NIC) and the router sends there until its entry expires.`;
  }
  if (x.detours.length) {
    text += ` ${x.detours
      .slice(0, 3)
      .map((d) => `${ipv4ToString(d.host)} asked by ARP who has ${ipv4ToString(d.q.target)}${d.answered ? '' : ` and nobody answered (${plural(d.q.requests, 'request')} for it)`}`)
      .join('; ')}: its route back goes that way, not through the gateway, whose conntrack alone can undo the NAT${x.detours.some((d) => !d.answered) ? ' — and it leads nowhere' : ''}.`;
  }
  const alive = x.alive;
  if (alive.length) {
    const hosts = list(alive.map((a) => ipv4ToString(a.host)));
    const tcp = x.unanswered.some((f) => f.proto === 6 && alive.some((a) => a.host === f.observed!.dst));
    text += x.vpcSide
      ? ` ${hosts} ${alive.length === 1 ? 'is' : 'are'} up and route${alive.length === 1 ? 's' : ''} back through this gateway — ${alive.map((a) => `${a.flow.id}, from ${ipv4ToString(a.host)}, passes both ways`).join('; ')} —` +
        ` so the requests reach ${alive.length === 1 ? 'it' : 'them'} and are dropped there: a firewall on the backend (a security group, a NetworkPolicy), or a service that ignores them.`
      : ` ${hosts} ${alive.length === 1 ? 'answers' : 'answer'} other traffic from the same address (${alive.map((a) => a.flow.id).join(', ')}), so ${alive.length === 1 ? 'it is' : 'they are'} up and route${alive.length === 1 ? 's' : ''} back to the gateway: these requests are dropped by port or protocol, on ${alive.length === 1 ? 'it' : 'them'} or a firewall on the way.`;
    if (tcp) text += ' A closed TCP port would have answered with a reset: something drops the segments silently.';
  }
  if (x.staticHop) {
    text += ` The gateway reaches its next hop ${x.staticHop.address} through a static neighbour entry (${x.staticHop.lladdr}, PERMANENT): if that router was replaced or its MAC changed, the frames go to nobody — the captures hold no ARP to tell.`;
  }
  // Every silent destination shown up and reaching back: the stop is on it (or, upstream, on the way by port).
  const onHosts = alive.length > 0 && !x.refused.length && x.unanswered.every((f) => alive.some((a) => a.host === f.observed!.dst));
  return (
    text +
    (x.vpcSide
      ? onHosts
        ? ' The gateway did its part: the stop is on the backend.'
        : ' The gateway did its part: the stop is beyond it on the VPC side (the backend, a firewall on it, or its route back through the gateway).'
      : " The gateway did its part: the stop is upstream (the remote host, a firewall on the way, or routing back to the gateway's address).")
  );
}

function evidenceOf(ctx: CheckContext, x: Facts): Evidence[] {
  const evidence: Evidence[] = [];
  for (const m of x.misaddressed.slice(0, 2)) {
    evidence.push(frameAtEvidence(ctx, m, m.iface, `${ipv4ToString(m.src)} > ${ipv4ToString(m.dst)} addressed to ${macToString(m.mac)} — not the gateway's MAC: left out by the kernel (${plural(m.count, 'frame')})`));
  }
  for (const c of x.conflicts) evidence.push(...c.claims.slice(0, 2).map((k) => claimEvidence(ctx, k)));
  for (const d of x.detours.slice(0, 2)) evidence.push(...arpEvidence(ctx, d.q, `${ipv4ToString(d.host)} resolves its next hop for the replies: not the gateway`));
  const n = x.staticHop;
  if (n) evidence.push(neighbourEvidence(n));
  // Refusals first: what the far side said, and (where captured) the gateway relaying it back.
  for (const f of x.refused.slice(0, 6)) {
    const { arrived, relayed } = x.errors.get(f)!;
    const e = arrived[0]!;
    evidence.push(errorEvidence(ctx, e, `${ipv4ToString(e.src)} answered ${f.id} with ${icmpErrorName(e.type, e.code)}`));
    const back = relayed[0];
    if (back) evidence.push(errorEvidence(ctx, back, `the gateway relayed it back to ${ipv4ToString(f.original.src)}, NAT undone`));
  }
  for (const a of x.alive.slice(0, 2)) {
    evidence.push(frameEvidence(ctx, a.flow.first, `${a.flow.id}: ${ipv4ToString(a.host)} ${x.vpcSide ? 'sends its own traffic through the gateway' : 'answers this flow from the same address'}, both ways`));
  }
  for (const f of [...x.rateLimited, ...x.unanswered].slice(0, 8)) {
    const out = leftAs(f);
    if (out) evidence.push(frameEvidence(ctx, out, `${f.id} left ${ctx.ifaceName(out.iface)} ${howLeft(f)}; no reply came back`));
  }
  for (const f of x.refused.slice(0, 4)) {
    const out = leftAs(f);
    if (out) evidence.push(frameEvidence(ctx, out, `${f.id} left ${ctx.ifaceName(out.iface)} ${howLeft(f)}`));
  }
  return uniqueEvidence(evidence, 14);
}

function fixesOf(ctx: CheckContext, x: Facts): string[] {
  const fixes = x.misaddressed.map(
    (m) => `arping -U -c 3 -I ${ctx.ifaceName(m.iface)} ${ipv4ToString(m.dst)}  # announce ${ipv4ToString(m.dst)} at the gateway's MAC: the upstream updates its ARP entry (or clear it on the router: ip neigh del ${ipv4ToString(m.dst)} dev <its interface>)`,
  );
  fixes.push(...x.conflicts.map((c) => otherHolderFix(ctx, c.iface, c.address, c.claims, 'the router')));
  if (x.refused.length) {
    const dst = x.refusedDsts[0];
    fixes.push(`# ${list(x.senders)} refuses with ICMP ${x.kinds.join(', ')}: check the firewall there and that the service listens (from the gateway: ping -c 3 ${dst}; nc -vz ${dst} <port>)`);
  }
  for (const a of x.vpcSide ? x.alive.slice(0, 2) : []) {
    const ports = [...new Set(x.unanswered.filter((f) => f.observed!.dst === a.host && f.observed!.dport).map((f) => `${f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto}/${f.observed!.dport}`))];
    fixes.push(`# on ${ipv4ToString(a.host)}: iptables -S INPUT; nft list ruleset; ss -lntu — what drops the requests${ports.length ? ` to ${ports.join(', ')}` : ''} (Kubernetes: its NetworkPolicies, Kube-OVN security groups)`);
  }
  if (x.unanswered.length) {
    const dst = ipv4ToString(x.unanswered[0]!.observed!.dst);
    fixes.push(`# from the gateway: ping -c 3 ${dst}; traceroute -n ${dst}`);
    // Silence for what left translated to a gateway address: the upstream may hold a stale MAC for it.
    const own = gatewayOwnAddresses(ctx);
    const f = x.unanswered.find((u) => u.egress && u.observed && own.has(u.observed.src));
    if (f && !x.conflicts.length && !x.misaddressed.length && !capturedLinkWithoutArp(ctx, f.egress!.iface)) {
      fixes.push(`arping -U -c 3 -I ${ctx.ifaceName(f.egress!.iface)} ${ipv4ToString(f.observed!.src)}  # if the gateway restarted or moved (a new MAC), the upstream may still send ${ipv4ToString(f.observed!.src)}'s replies to the old one`);
    }
  }
  if (x.staticHop) {
    const n = x.staticHop;
    fixes.push(`arping -c 3 -I ${n.dev} ${n.address}  # the MAC that answers: is it ${n.lladdr}? if not, ip neigh replace ${n.address} lladdr <that MAC> dev ${n.dev} (or ip neigh del ${n.address} dev ${n.dev})`);
  }
  const gw = gatewayAddressOn(ctx, x.flows[0]!.egress!.iface);
  for (const d of x.detours.slice(0, 2)) {
    const client = x.flows.find((f) => f.observed!.dst === d.host)!.observed!.src;
    fixes.push(`# on ${ipv4ToString(d.host)}: ip route get ${ipv4ToString(client)} — it goes via ${ipv4ToString(d.q.target)}; route it back via the gateway${gw !== null ? ` (${ipv4ToString(gw)})` : ''}, e.g. ip route replace default via ${gw !== null ? ipv4ToString(gw) : '<gateway>'}`);
  }
  fixes.push(
    x.vpcSide
      ? '# check that the backends route their replies back through this gateway (their default route, or a VPC static route) and that no firewall on them drops the requests'
      : '# check that the upstream routes the EIPs back to this gateway and that no firewall on the way drops them',
  );
  return fixes;
}

/** The gateway's own address on captured interface `iface` (from ip addr), or null. */
function gatewayAddressOn(ctx: CheckContext, iface: number): number | null {
  const itf = ctx.snapshot?.host.interfaces.find((i) => i.name === ctx.ifaceName(iface));
  return itf?.addresses.find((a) => a.family === 4)?.v4 ?? null;
}

export const upstreamNoReply: Check = {
  id: 'upstream-no-reply',
  description: 'Requests leave the gateway correctly translated but no reply ever comes back: the stop is beyond the gateway.',
  rank: 9,
  run(ctx: CheckContext) {
    const local = gatewayOwnAddresses(ctx);
    const unassigned = unassignedNatAddresses(ctx);
    const flows = ctx.flows.filter((f) => {
      if (f.disposition !== 'no-reply' || !f.egress || !f.observed) return false;
      // A reply to an address the outside cannot resolve is arp-disabled's, not upstream's.
      if ((local.has(f.observed.src) || unassigned.has(f.observed.src)) && unansweredArp(ctx, f.egress.iface, f.observed.src)) return false;
      // So is one to an address held on an interface that answers no ARP at all (NOARP).
      if (noarpHolds(ctx, f.egress.iface, f.observed.src)) return false;
      // NAT loopback without SNAT: the reply goes past the gateway, snat-missing's hairpin face.
      if (hairpinUnmasqueraded(ctx, f)) return false;
      // So is one routed back out the interface it came in by: it never went upstream (no-route's).
      if (uTurned(ctx, f)) return false;
      // And one sent to a MAC its next hop does not speak from: a stale neighbour entry (egress-neighbor-unresolved's).
      if (staleNextHopMac(ctx, f)) return false;
      // One whose ICMP error from beyond the gateway did not relay stopped at the gateway: forward-chain-drop's
      // (RELATED not accepted), or a stop the snapshot does not explain.
      if (unrelayedError(ctx, f)) return false;
      return true;
    });
    const refusals = resetFindings(ctx);
    if (!flows.length) return refusals;
    const x = factsOf(ctx, flows, local);
    // The errors prove a refusal; silence, or a conflict that may send the replies elsewhere, is inferred.
    // Fragmentation needed the sender must get to adapt: with the way in not captured, whether the gateway relayed it is not seen.
    const relayUnseen = x.refused.filter((f) => f.unseenIngress !== undefined && f.errors.some((e) => isFragNeeded(e.type, e.code)));
    const confirmed = ((x.refused.length > 0 && !x.unanswered.length && !x.conflicts.length) || x.misaddressed.length > 0) && !relayUnseen.length;
    const evidence = evidenceOf(ctx, x);
    if (relayUnseen.length) {
      const way = relayUnseen[0]!.unseenIngress!;
      evidence.unshift({ kind: 'note', text: `${way} was not captured: whether the gateway relayed the fragmentation needed back to the senders is not seen (a FORWARD chain that does not accept RELATED packets drops it: forward-chain-drop)` });
    }
    return [finding('upstream-no-reply', 'error', confirmed ? 'confirmed' : 'likely', titleOf(x), detailOf(ctx, x), evidence, fixesOf(ctx, x), flows), ...refusals];
  },
};

/**
 * The far end's reset that answered a connection's SYN, arriving where the flow left and relayed back by the
 * gateway (matched), when no SYN-ACK ever came: the connection was refused beyond the gateway. Null otherwise.
 */
function refusingReset(f: AssembledFlow): PacketInfo | null {
  if (f.proto !== Proto.TCP || !f.sawSyn || !f.egress || f.disposition !== 'delivered') return null;
  const back = f.egress.samples.filter((p) => p.connDir === 1 && p.dir === Dir.IN);
  if (back.some((p) => (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK))) return null;
  return back.find((p) => (p.tcpFlags & TcpFlag.RST) !== 0 && p.match !== null) ?? null;
}

/**
 * TCP connections the gateway forwarded and relayed back as it should, but that the far end refused with a reset
 * (nothing listens on the port, or a firewall rejects in its name): the packets did not stop at the gateway, so a
 * warning, not an error — one per destination and port, with the DNAT rule where one chose the port (a port forward
 * to the wrong inside port looks just like this).
 */
function resetFindings(ctx: CheckContext) {
  const by = new Map<string, { dst: number; dport: number; flows: AssembledFlow[]; resets: PacketInfo[] }>();
  for (const f of ctx.flows) {
    const rst = refusingReset(f);
    if (!rst || !f.observed) continue;
    const k = `${f.observed.dst}:${f.observed.dport}`;
    const g = by.get(k) ?? { dst: f.observed.dst, dport: f.observed.dport, flows: [], resets: [] };
    g.flows.push(f);
    g.resets.push(rst);
    by.set(k, g);
  }
  return [...by.values()].map(({ dst, dport, flows, resets }) => {
    const host = ipv4ToString(dst);
    const evidence: Evidence[] = [];
    const dnat = flows.map((f) => f.trace?.rewrites.find((r) => r.kind === 'DNAT')).find((r) => r !== undefined);
    if (dnat) evidence.push(ruleEvidence(dnat.rule));
    resets.slice(0, 3).forEach((r, k) => {
      evidence.push(frameEvidence(ctx, r, `${host} answered the SYN of ${flows[k]!.id} with a reset`));
      if (r.match) evidence.push(frameEvidence(ctx, r.match, 'the gateway relayed it back, NAT undone'));
    });
    const inside = ctx.correlation.roles.inside !== null && flows.every((f) => ctx.ifaceName(f.egress!.iface) === ctx.correlation.roles.inside);
    const forwarded = dnat ? `, DNATed by ${dnat.rule.chain} (${dnat.rule.file}:${dnat.rule.line}) to port ${dport}` : '';
    return finding(
      'upstream-no-reply',
      'warning',
      'confirmed',
      `${host} refuses connections to port ${dport} (TCP reset)`,
      `${plural(flows.length, 'TCP connection')} left the gateway translated as expected${forwarded}, and ${host} answered ${flows.length === 1 ? 'its SYN' : 'their SYNs'} with a reset, ` +
        `which the gateway relayed back: nothing listens on ${host}:${dport}, or a firewall there rejects them. The packets did not stop at the gateway.` +
        (dnat ? ` If the service listens on another port, the port forward's rule points at the wrong one.` : ''),
      uniqueEvidence(evidence, 8),
      [
        `# on ${host}: ss -lnt 'sport = :${dport}'; iptables -S INPUT — does anything listen on port ${dport}, and is it allowed in?`,
        ...(dnat ? [portForwardCommand(ctx, dnat.rule, host)] : []),
        ...(inside ? [] : [`# from the gateway: nc -vz ${host} ${dport}`]),
      ],
      flows,
    );
  });
}

/** How to see the port forward `rule` and where its port is written, in the words of the tool that owns it. */
function portForwardCommand(ctx: CheckContext, rule: RuleRef, host: string): string {
  const place = chainTool(ctx.snapshot, rule.table, rule.chain);
  return `${listChainCommand(place)}  # the port forward: ${place.tool === 'nft' ? 'dnat to' : '--to-destination'} ${host}:<the port the service listens on>`;
}

/** How a request left: as the rules say, or (its way in not captured) translated as all that can be said. */
function howLeft(f: AssembledFlow): string {
  return f.unseenIngress !== undefined ? `translated (its way in, ${f.unseenIngress}, was not captured)` : 'translated as expected';
}
