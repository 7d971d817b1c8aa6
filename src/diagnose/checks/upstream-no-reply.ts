import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';
import { gatewayOwnAddresses, noarpHolds, unansweredArp } from '../arp-facts.js';

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
    const evidence: Evidence[] = [];
    for (const f of flows.slice(0, 8)) {
      if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left ${ctx.ifaceName(f.ingress.peer.iface)} translated as expected; no reply came back`));
    }
    const dsts = [...new Set(flows.map((f) => ipv4ToString(f.observed!.dst)))];
    return [
      finding(
        'upstream-no-reply',
        'error',
        'likely',
        `No reply comes back from ${dsts.slice(0, 3).join(', ')}${dsts.length > 3 ? '…' : ''}`,
        `${plural(flows.length, 'flow')} left the gateway correctly translated and nothing came back while the captures ran. The gateway did its part: the stop is upstream (the remote host, a firewall on the way, or routing back to the gateway's address).`,
        uniqueEvidence(evidence, 12),
        [
          `# from the gateway: ping -c 3 ${dsts[0]}; traceroute -n ${dsts[0]}`,
          '# check that the upstream routes the EIPs back to this gateway and that no firewall on the way drops them',
        ],
        flows,
      ),
    ];
  },
};
