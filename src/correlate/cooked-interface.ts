import { LinkType } from '../model/capture.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, PacketType } from '../model/packet.js';
import type { Snapshot } from '../model/snapshot.js';
import { hostView } from '../simulate/host-view.js';
import { lookupRoute } from '../simulate/route-lookup.js';
import { addMacOwner, macOwners } from './mac.js';

/**
 * The interface a packet was captured on, for captures that do not record it.
 * - Linux cooked v1: `tcpdump -i any` before 4.99 (RHEL 8, Ubuntu 20.04 and older nodes) writes
 *   LINKTYPE_LINUX_SLL, whose header has the packet type and the link-layer source address but, unlike
 *   LINUX_SLL2, no interface index.
 * - Ethernet captures of several interfaces in one file that says nothing of them: `mergecap` (which folds
 *   alike interface descriptions into one, and `-F pcap` keeps none), a capture on a mirror port
 *   (interface-by-mac.ts tells such a capture by the gateway MACs its frames carry).
 * Packets of every interface then share one name, and a packet and its forwarded copy would look like two
 * packets on one interface. The gateway's state tells them apart:
 * - a packet the gateway sent (PACKET_OUTGOING, or an Ethernet source MAC of its own) carries the sending
 *   interface's own MAC (`ip addr`); an Ethernet frame sent to it carries the receiving interface's as destination;
 * - a packet it received carries the sender's MAC, a neighbour on the receiving interface (`ip neigh`);
 * - failing those, the route: an outgoing packet left by the route to its destination, an incoming one
 *   came in where the route back to its source points (what rp_filter also assumes, RFC 3704).
 * Returns null when the snapshot cannot tell.
 */
export type CookedInterface = (d: DecodedPacket) => string | null;

export function cookedInterfaceResolver(snapshot: Snapshot | null): CookedInterface | null {
  if (!snapshot) return null;
  const host = snapshot.host;
  const own = macOwners(host.interfaces.map((i) => [i.mac, i.name] as const));
  const neighbours = macOwners(host.neighbours.map((n) => [n.lladdr, n.dev] as const));
  const canRoute = host.have.routes || host.have.addresses;
  const view = canRoute ? hostView(snapshot) : null;
  const byRoute = new Map<number, string | null>();
  const routeDev = (a: number): string | null => {
    if (!view) return null;
    let dev = byRoute.get(a);
    if (dev === undefined) {
      const r = lookupRoute(view, a);
      dev = r.kind === 'route' ? r.route.dev : null;
      byRoute.set(a, dev);
    }
    return dev;
  };
  if (!own.size && !neighbours.size && !view) return null;
  // What the routes placed teaches the MACs: a later packet from the same MAC that has no IPv4 address to
  // route by (IPv6 neighbour discovery, LLDP) lands on the same interface. A MAC seen on two is left out.
  const learnedOwn = new Map<number, string>();
  const learnedNeighbours = new Map<number, string>();
  return (d) => {
    let outgoing: boolean;
    if (d.linkType === LinkType.LINUX_SLL) outgoing = d.packetType === PacketType.OUTGOING;
    else {
      // An Ethernet frame names both ends: the gateway's own MAC on either side is the interface.
      const from = own.get(d.srcMac);
      if (from) return from;
      const to = own.get(d.dstMac);
      if (to) return to;
      outgoing = false;
    }
    const byMac = (outgoing ? own : neighbours).get(d.srcMac);
    if (byMac) return byMac;
    const ip = d.net === Net.IPV4 ? (outgoing ? d.dst : d.src) : d.net === Net.ARP ? (outgoing ? d.arpTpa : d.arpSpa) : -1;
    const dev = ip >= 0 ? routeDev(ip) : null;
    const learned = outgoing ? learnedOwn : learnedNeighbours;
    if (dev) {
      addMacOwner(learned, d.srcMac, dev);
      return dev;
    }
    return learned.get(d.srcMac) || null;
  };
}
