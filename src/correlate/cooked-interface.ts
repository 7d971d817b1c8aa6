import type { DecodedPacket } from '../model/packet.js';
import { Net, PacketType } from '../model/packet.js';
import type { Snapshot } from '../model/snapshot.js';
import { hostView } from '../simulate/host-view.js';
import { lookupRoute } from '../simulate/route-lookup.js';
import { parseMac } from './mac.js';

/**
 * The interface a Linux cooked v1 packet was captured on. `tcpdump -i any` before 4.99 (RHEL 8, Ubuntu
 * 20.04 and older nodes) writes LINKTYPE_LINUX_SLL, whose header has the packet type and the link-layer
 * source address but, unlike LINUX_SLL2, no interface index: packets of every interface share one
 * file, and a packet and its forwarded copy would look like two packets on one interface. The gateway's
 * state tells them apart:
 * - a packet the gateway sent (PACKET_OUTGOING) carries the sending interface's own MAC (`ip addr`);
 * - a packet it received carries the sender's MAC, a neighbour on the receiving interface (`ip neigh`);
 * - failing those, the route: an outgoing packet left by the route to its destination, an incoming one
 *   came in where the route back to its source points (what rp_filter also assumes, RFC 3704).
 * Returns null when the snapshot cannot tell.
 */
export type CookedInterface = (d: DecodedPacket) => string | null;

export function cookedInterfaceResolver(snapshot: Snapshot | null): CookedInterface | null {
  if (!snapshot) return null;
  const host = snapshot.host;
  const own = new Map<number, string>();
  for (const i of host.interfaces) {
    const m = i.mac ? parseMac(i.mac) : -1;
    // Interfaces sharing a MAC (a bridge and its port, VLAN devices) cannot be told apart by it.
    if (m > 0) own.set(m, own.has(m) && own.get(m) !== i.name ? '' : i.name);
  }
  const neighbours = new Map<number, string>();
  for (const n of host.neighbours) {
    const m = n.lladdr ? parseMac(n.lladdr) : -1;
    if (m > 0) neighbours.set(m, neighbours.has(m) && neighbours.get(m) !== n.dev ? '' : n.dev);
  }
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
  return (d) => {
    const outgoing = d.packetType === PacketType.OUTGOING;
    const byMac = outgoing ? own.get(d.srcMac) : neighbours.get(d.srcMac);
    if (byMac) return byMac;
    const ip = d.net === Net.IPV4 ? (outgoing ? d.dst : d.src) : d.net === Net.ARP ? (outgoing ? d.arpTpa : d.arpSpa) : -1;
    return ip >= 0 ? routeDev(ip) : null;
  };
}
