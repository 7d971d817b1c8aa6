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
 *   came in where the route back to its source points (what rp_filter also assumes, RFC 3704) — with `ip rule`s
 *   that select by input interface, the route forwarded packets take, when every interface's agree.
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
  // With `ip rule`s that select by input interface (Kube-OVN's older gateways: `iif eth0/net1 lookup 100`), the
  // host's own lookup (iif lo, main table) can point elsewhere than where forwarded traffic goes — main's default
  // route into the VPC, table 100's out the outside. The route back to a source is then the one every interface's
  // forwarded packets would take to it, when they agree; so is the way out to a destination.
  // Without `ip addr`, the interfaces are those the routes, neighbours and rules name.
  const ifaceNames = host.interfaces.length
    ? host.interfaces.filter((i) => !i.flags.includes('LOOPBACK')).map((i) => i.name)
    : [...new Set([...host.routes.map((r) => r.dev), ...host.neighbours.map((n) => n.dev), ...(host.policyRules ?? []).flatMap((r) => [r.iif, r.oif])])].filter(
        (n): n is string => n !== null && n !== 'lo',
      );
  const byIif = view?.policy?.some((r) => r.iif !== null && r.iif !== 'lo') ? new Map<number, string | null>() : null;
  const forwardedDev = (a: number): string | null => {
    if (!byIif || !view) return routeDev(a);
    let dev = byIif.get(a);
    if (dev === undefined) {
      const devs = new Set(
        ifaceNames.map((iif) => {
          const r = lookupRoute(view, a, { src: 0, iif, mark: 0 });
          return r.kind === 'route' ? r.route.dev : null;
        }),
      );
      dev = devs.size === 1 ? [...devs][0]! : routeDev(a);
      byIif.set(a, dev);
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
    const dev = ip >= 0 ? forwardedDev(ip) : null;
    const learned = outgoing ? learnedOwn : learnedNeighbours;
    if (dev) {
      addMacOwner(learned, d.srcMac, dev);
      return dev;
    }
    return learned.get(d.srcMac) || null;
  };
}
