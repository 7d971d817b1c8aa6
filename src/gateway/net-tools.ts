/**
 * The routes and neighbours as the older net-tools print them, which many engineers still run first:
 *
 *   route -n / netstat -rn                      arp -an                          arp -n
 *   Kernel IP routing table                     ? (10.0.4.10) at 0a:58:… [ether] on eth0     Address  HWtype  HWaddress  Flags Mask  Iface
 *   Destination  Gateway     Genmask  Flags …  Iface                                         10.0.4.10  ether  0a:58:…  C           eth0
 *   0.0.0.0      203.0.113.1 0.0.0.0  UG    …  net1                                          10.0.4.99         (incomplete)           eth0
 *
 * Both list the main routing table and the neighbour cache only (no `ip rule`, no other tables, no NUD state but
 * complete, incomplete and permanent): what they show is read as `ip route` and `ip neigh` would have shown it. A
 * route's text is written the way `ip route` prints it (`default via 203.0.113.1 dev net1`), its line the listing's.
 * `ifconfig` is not read: it shows one IPv4 address per interface, and the EIPs a NAT gateway adds beside it (`ip
 * addr add`, no label) would seem not to be there (gateway/sniff.ts says so).
 */
import { cidrToString, ipv4ToString, parseCidr4, parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { Neighbour, Route } from '../model/host.js';

/** The column headings of `route -n` (Metric Ref Use) and `netstat -rn` (MSS Window irtt). */
export const ROUTE_N_HEADER_RE = /^Destination\s+Gateway\s+Genmask\s+Flags\s+/;
/** A `route -n` / `netstat -rn` row: destination, gateway, genmask, flags, …, interface. */
export const ROUTE_N_LINE_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|default)\s+(?:\d{1,3}(?:\.\d{1,3}){3}|\*|-)\s+\d{1,3}(?:\.\d{1,3}){3}\s+[UGHRDMACN!]+\s+(?:\S+\s+)*\S+$/;
/** `arp -a` / `arp -an`: `? (10.0.4.10) at 0a:58:0a:00:04:0a [ether] PERM on eth0`, `… at <incomplete> on eth0`. */
export const ARP_A_LINE_RE = /^\S+ \((\d{1,3}(?:\.\d{1,3}){3})\) at (\S+)(?: \[(\w+)\])?((?: [A-Z]+)*) on (\S+)/;
/** `arp -n`'s headings. */
export const ARP_N_HEADER_RE = /^Address\s+HWtype\s+HWaddress\s+Flags\s+Mask\s+Iface\s*$/;
/** `arp -n` rows: `10.0.4.10  ether  0a:58:0a:00:04:0a  C  eth0`, `10.0.4.99  (incomplete)  eth0`. */
export const ARP_N_LINE_RE = /^(\d{1,3}(?:\.\d{1,3}){3})\s+(?:(\S+)\s+([0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5})\s+([CMP]+)\s+(?:\S+\s+)?|\(incomplete\)\s+)(\S+)\s*$/;
/** `ifconfig`'s interface headings, in either of its formats (`eth0: flags=4163<UP,…>  mtu 1500`, `eth0  Link encap:Ethernet`). */
export const IFCONFIG_HEADER_RE = /^[\w.:@-]+(?::\s+flags=\d+<[A-Z,_]*>\s+mtu\s+\d+|\s+Link encap:)/;

/** `route -n` or `netstat -rn` → routes of the main table, as `ip route` gives them. */
export function parseRouteN(text: string, file: string): { routes: Route[]; warnings: InputWarning[] } {
  const routes: Route[] = [];
  const warnings: InputWarning[] = [];
  let metricAt = -1;
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#') || /^Kernel IP routing table/.test(t)) return;
    if (ROUTE_N_HEADER_RE.test(t)) {
      // route -n has a Metric column; netstat -rn has MSS, Window and irtt in its place.
      metricAt = t.split(/\s+/).indexOf('Metric');
      return;
    }
    if (!ROUTE_N_LINE_RE.test(t)) {
      warnings.push({ code: 'parse', file, line, message: `not a route -n row: ${t.slice(0, 80)}` });
      return;
    }
    const w = t.split(/\s+/);
    const [dstText, gwText, maskText, flags] = [w[0]!, w[1]!, w[2]!, w[3]!];
    const iface = w[w.length - 1]!;
    const dst = parseCidr4(`${dstText === 'default' ? '0.0.0.0' : dstText}/${maskText}`);
    if (!dst) {
      warnings.push({ code: 'parse', file, line, message: `cannot read destination ${dstText} mask ${maskText}` });
      return;
    }
    const gw = gwText === '*' || gwText === '-' ? 0 : parseIpv4(gwText);
    const via = flags.includes('G') && gw > 0 ? gw : null;
    const metric = metricAt >= 0 && /^\d+$/.test(w[metricAt] ?? '') ? Number(w[metricAt]) : 0;
    // A rejecting route (`!`, no interface: `-`) is unreachable or prohibit, route -n does not say which; a blackhole
    // shows as a route without a flag of its own, out by no interface (`*`).
    const type: Route['type'] = flags.includes('!') ? 'unreachable' : iface === '*' && via === null ? 'blackhole' : 'unicast';
    const dev = iface === '-' || iface === '*' ? null : iface;
    const where = dst.prefix === 0 ? 'default' : cidrToString(dst);
    const text =
      type !== 'unicast'
        ? `${type} ${where}${metric ? ` metric ${metric}` : ''}`
        : `${where}${via !== null ? ` via ${ipv4ToString(via)}` : ''}${dev ? ` dev ${dev}` : ''}${via === null ? ' scope link' : ''}${metric ? ` metric ${metric}` : ''}`;
    if (type === 'unreachable') warnings.push({ code: 'parse', file, line, message: `route -n marks ${where} rejecting (!) without saying how: taken as unreachable (ip route tells unreachable and prohibit apart)` });
    routes.push({
      table: 'main',
      type,
      dst: dst.prefix === 0 ? null : dst,
      family: 4,
      via,
      dev,
      prefsrc: null,
      metric,
      proto: null,
      scope: type === 'unicast' && via === null ? 'link' : null,
      text,
      source: { file, line },
    });
  });
  return { routes, warnings };
}

/** `arp -n` or `arp -a`/`-an` → neighbour entries, as `ip neigh` gives them (complete ones COMPLETE: arp shows no NUD state). */
export function parseArpN(text: string, file: string): { neighbours: Neighbour[]; warnings: InputWarning[] } {
  const neighbours: Neighbour[] = [];
  const warnings: InputWarning[] = [];
  const add = (address: string, dev: string, lladdr: string | null, states: string[], line: number): void => {
    const v4 = parseIpv4(address);
    if (v4 < 0) return;
    neighbours.push({ family: 4, address, v4, dev, lladdr: lladdr?.toLowerCase() ?? null, states, source: { file, line } });
  };
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#') || ARP_N_HEADER_RE.test(t)) return;
    const a = ARP_A_LINE_RE.exec(t);
    if (a) {
      const incomplete = a[2] === '<incomplete>';
      const flags = (a[4] ?? '').trim().split(/\s+/).filter(Boolean);
      add(a[1]!, a[5]!, incomplete ? null : a[2]!, incomplete ? ['INCOMPLETE'] : flags.includes('PERM') ? ['PERMANENT'] : ['COMPLETE'], line);
      return;
    }
    const n = ARP_N_LINE_RE.exec(t);
    if (n) {
      const flags = n[4] ?? '';
      add(n[1]!, n[5]!, n[3] ?? null, n[3] === undefined ? ['INCOMPLETE'] : flags.includes('M') ? ['PERMANENT'] : ['COMPLETE'], line);
      return;
    }
    warnings.push({ code: 'parse', file, line, message: `not an arp entry: ${t.slice(0, 80)}` });
  });
  return { neighbours, warnings };
}
