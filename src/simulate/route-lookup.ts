import type { Route } from '../model/host.js';
import { type HostView, routeMatches } from './host-view.js';

/** What the FIB says about a destination (fib_lookup in net/ipv4/fib_rules.c with the default rules). */
export type RouteResult =
  | {
      readonly kind: 'local';
      /** Why it is local: an interface address, a `local` route, 127/8, a broadcast address. */
      readonly why: string;
      readonly broadcast: boolean;
      readonly route: Route | null;
      /** Interface holding the address, when known. */
      readonly iface: string | null;
    }
  | { readonly kind: 'route'; readonly route: Route; readonly table: string; readonly derived: boolean }
  | { readonly kind: 'none'; readonly derived: boolean };

/** Whether the snapshot holds IPv4 routes at all; without them the simulator falls back to connected routes. */
export function haveRoutes(view: HostView): boolean {
  return view.snapshot.host.have.routes && view.tables.size > 0;
}

/**
 * Route lookup as the kernel does it with the default policy rules (`ip rule`: 0 local, 32766 main,
 * 32767 default): the local table first, then main, then default; within a table the longest prefix wins and
 * equal prefixes go to the lowest metric. `throw` routes end the lookup in that table (RFC-less kernel
 * behaviour: fib_table_lookup returns -EAGAIN and the next rule is tried).
 */
export function lookupRoute(view: HostView, dst: number): RouteResult {
  if (dst >>> 24 === 127) return { kind: 'local', why: '127.0.0.0/8 is loopback', broadcast: false, route: null, iface: 'lo' };
  const own = view.localAddrs.get(dst);
  if (own) return { kind: 'local', why: `address of ${own.iface.name}`, broadcast: false, route: null, iface: own.iface.name };
  if (dst === 0xffffffff) return { kind: 'local', why: 'limited broadcast 255.255.255.255', broadcast: true, route: null, iface: null };
  if (view.broadcastAddrs.has(dst)) return { kind: 'local', why: 'subnet broadcast address', broadcast: true, route: null, iface: null };
  // The input path hands multicast to the host's own listeners (or a multicast router, ip_mr_input); unicast
  // routing never forwards it.
  if (dst >>> 28 === 0xe) return { kind: 'local', why: 'multicast 224.0.0.0/4: for the host\'s own listeners, never forwarded as unicast', broadcast: false, route: null, iface: null };
  const localTable = view.tables.get('local');
  if (localTable) {
    for (const r of localTable) {
      if (!routeMatches(r, dst)) continue;
      if (r.type === 'local' || r.type === 'broadcast') {
        return { kind: 'local', why: `${r.type} route in table local`, broadcast: r.type === 'broadcast', route: r, iface: r.dev };
      }
    }
  }
  if (!haveRoutes(view)) {
    for (const r of view.derivedRoutes) if (routeMatches(r, dst)) return { kind: 'route', route: r, table: 'main', derived: true };
    return { kind: 'none', derived: true };
  }
  for (const t of ['main', 'default']) {
    const list = view.tables.get(t);
    if (!list) continue;
    for (const r of list) {
      if (!routeMatches(r, dst)) continue;
      if (r.type === 'throw') break;
      if (r.type === 'local' || r.type === 'broadcast') {
        return { kind: 'local', why: `${r.type} route in table ${t}`, broadcast: r.type === 'broadcast', route: r, iface: r.dev };
      }
      return { kind: 'route', route: r, table: t, derived: false };
    }
  }
  return { kind: 'none', derived: false };
}
