import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, frameEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';
import { foreignClaims, gatewayOwnAddresses, noarpHolds, unansweredArp } from '../arp-facts.js';
import { macToString } from '../../model/address.js';
import { isoNs } from '../../model/time.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { QuotedError } from '../../correlate/connection.js';
import { Dir } from '../../correlate/packet-info.js';

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

export const upstreamNoReply: Check = {
  id: 'upstream-no-reply',
  description: 'Requests leave the gateway correctly translated but no reply ever comes back: the stop is beyond the gateway.',
  rank: 9,
  run(ctx: CheckContext) {
    const local = gatewayOwnAddresses(ctx);
    const flows = ctx.flows.filter((f) => {
      if (f.disposition !== 'no-reply' || !f.egress || !f.observed) return false;
      // A reply to an address the outside cannot resolve is arp-disabled's, not upstream's.
      if (local.has(f.observed.src) && unansweredArp(ctx, f.egress.iface, f.observed.src)) return false;
      // So is one to an address held on an interface that answers no ARP at all (NOARP).
      if (noarpHolds(ctx, f.egress.iface, f.observed.src)) return false;
      return true;
    });
    if (!flows.length) return [];
    const errors = new Map(flows.map((f) => [f, upstreamErrors(f, local)]));
    const refused = flows.filter((f) => errors.get(f)!.arrived.length > 0);
    const silent = flows.filter((f) => errors.get(f)!.arrived.length === 0);
    const refusedDsts = [...new Set(refused.map((f) => ipv4ToString(f.observed!.dst)))];
    // Hosts rate-limit their ICMP errors (icmp_ratelimit, per destination): flows to a destination that refused
    // others and got no answer at all were most likely refused too.
    const unanswered = silent.filter((f) => !refusedDsts.includes(ipv4ToString(f.observed!.dst)));
    const evidence: Evidence[] = [];
    // Another host speaking for the address the replies must come back to (an address conflict: a stale VM, a second
    // gateway holding the same EIP): the router's ARP cache may send them there.
    const conflicts = new Map<string, { address: number; iface: number; claims: ReturnType<typeof foreignClaims> }>();
    for (const f of unanswered) {
      const claims = foreignClaims(ctx, f.egress!.iface, f.observed!.src);
      if (claims.length) conflicts.set(`${f.egress!.iface}|${f.observed!.src}`, { address: f.observed!.src, iface: f.egress!.iface, claims });
    }
    for (const c of conflicts.values()) {
      for (const k of c.claims.slice(0, 2)) {
        evidence.push({
          kind: 'frame',
          file: ctx.files[k.firstFrame.file]!,
          iface: ctx.ifaceName(k.iface),
          frame: k.firstFrame.frame,
          time: isoNs(k.firstFrame.tsSec, k.firstFrame.tsNsec),
          summary: `ARP: ${ipv4ToString(k.address)} is-at ${macToString(k.mac)} — another host speaks for the gateway's address (${k.count} time${k.count === 1 ? '' : 's'})`,
        });
      }
    }
    // Refusals first: what the far side said, and (where captured) the gateway relaying it back.
    for (const f of refused.slice(0, 6)) {
      const { arrived, relayed } = errors.get(f)!;
      const e = arrived[0]!;
      evidence.push(errorEvidence(ctx, e, `${ipv4ToString(e.src)} answered ${f.id} with ${icmpErrorName(e.type, e.code)}`));
      const back = relayed[0];
      if (back) evidence.push(errorEvidence(ctx, back, `the gateway relayed it back to ${ipv4ToString(f.original.src)}, NAT undone`));
    }
    for (const f of silent.slice(0, 8)) {
      if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left ${ctx.ifaceName(f.ingress.peer.iface)} translated as expected; no reply came back`));
    }
    for (const f of refused.slice(0, 4)) {
      if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left ${ctx.ifaceName(f.ingress.peer.iface)} translated as expected`));
    }
    const dsts = [...new Set(flows.map((f) => ipv4ToString(f.observed!.dst)))];
    const kinds = [...new Set(refused.flatMap((f) => errors.get(f)!.arrived.map((e) => icmpErrorName(e.type, e.code))))];
    const senders = [...new Set(refused.flatMap((f) => errors.get(f)!.arrived.map((e) => ipv4ToString(e.src))))];
    // DNATed flows leave by the inside: what does not answer is a backend in the VPC, not the internet.
    const inside = ctx.correlation.roles.inside;
    const vpcSide = inside !== null && flows.every((f) => ctx.ifaceName(f.egress!.iface) === inside);
    const list = (xs: string[]): string => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? '…' : ''}`;
    const dstRefuses = senders.every((x) => refusedDsts.includes(x));
    const relayedAll = refused.length > 0 && refused.every((f) => errors.get(f)!.relayed.length > 0);
    const conflict = [...conflicts.values()];
    const conflictText = conflict
      .map((c) => `${ipv4ToString(c.address)} is also claimed on ${ctx.ifaceName(c.iface)} by ${c.claims.map((k) => macToString(k.mac)).join(', ')}`)
      .join('; ');
    const title = conflict.length
      ? `Another host answers for ${list(conflict.map((c) => ipv4ToString(c.address)))}: the replies go to it, not to the gateway`
      : !refused.length
      ? `No reply comes back from ${list(dsts)}`
      : !unanswered.length
        ? dstRefuses
          ? `${list(refusedDsts)} ${refusedDsts.length === 1 ? 'refuses' : 'refuse'} the flows the gateway forwards: ${kinds.join(', ')} comes back instead of replies`
          : `${list(senders)} beyond the gateway ${senders.length === 1 ? 'answers' : 'answer'} ${kinds.join(', ')} for ${list(refusedDsts)}: the flows go no further`
        : `No reply comes back from ${list(dsts)}; ${list(senders)} answers some with ${kinds.join(', ')}`;
    const refusedText = refused.length
      ? ` Instead of replies to ${plural(refused.length, 'flow')}, ${list(senders)} sent ICMP ${kinds.join(', ')}${relayedAll ? ', which the gateway relayed back to the senders with the NAT undone' : ''}: the gateway forwarded the requests and ${dstRefuses ? 'the destination refuses them (a firewall REJECT there, or nothing serving)' : 'a router or firewall beyond it refuses them'}.` +
        (refused.some((f) => errors.get(f)!.arrived.some((e) => e.type === 11 && e.code === 0)) ? ' Time exceeded for packets that left with a full TTL means a routing loop beyond the gateway.' : '')
      : '';
    const rateLimited = silent.length - unanswered.length;
    const silentText =
      (rateLimited ? ` ${plural(rateLimited, 'flow')} to the same destination got no answer at all: hosts rate-limit their ICMP errors, so ${rateLimited === 1 ? 'it was' : 'they were'} most likely refused too.` : '') +
      (unanswered.length ? ` ${plural(unanswered.length, 'flow')} got nothing back at all while the captures ran.` : '');
    return [
      finding(
        'upstream-no-reply',
        'error',
        refused.length && !unanswered.length && !conflict.length ? 'confirmed' : 'likely',
        title,
        (refused.length
          ? `${plural(flows.length, 'flow')} left the gateway correctly translated.${refusedText}${silentText}`
          : `${plural(flows.length, 'flow')} left the gateway correctly translated and nothing came back while the captures ran.`) +
          (conflict.length
            ? ` An address conflict explains it: ${conflictText} (ARP from a MAC that is none of the gateway's), so the upstream's ARP cache may send the replies there.`
            : '') +
          (vpcSide
            ? ' The gateway did its part: the stop is beyond it on the VPC side (the backend, a firewall on it, or its route back through the gateway).'
            : " The gateway did its part: the stop is upstream (the remote host, a firewall on the way, or routing back to the gateway's address)."),
        uniqueEvidence(evidence, 14),
        [
          ...conflict.map((c) => `# find the other holder of ${ipv4ToString(c.address)} (${c.claims.map((k) => macToString(k.mac)).join(', ')}): arping -D -c 3 -I ${ctx.ifaceName(c.iface)} ${ipv4ToString(c.address)}; ip neigh show ${ipv4ToString(c.address)} on the router; remove the address there (or give this gateway another EIP)`),
          ...(refused.length ? [`# ${list(senders)} refuses with ICMP ${kinds.join(', ')}: check the firewall there and that the service listens (from the gateway: ping -c 3 ${refusedDsts[0]}; nc -vz ${refusedDsts[0]} <port>)`] : []),
          ...(unanswered.length ? [`# from the gateway: ping -c 3 ${ipv4ToString(unanswered[0]!.observed!.dst)}; traceroute -n ${ipv4ToString(unanswered[0]!.observed!.dst)}`] : []),
          '# check that the upstream routes the EIPs back to this gateway and that no firewall on the way drops them',
        ],
        flows,
      ),
    ];
  },
};
