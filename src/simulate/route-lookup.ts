import { tableName, type PolicyRule, type Route } from '../model/host.js';
import { cidrContains } from '../model/address.js';
import type { PortRange } from '../model/ruleset.js';
import { type HostView, routeMatches } from './host-view.js';
import { hasPorts } from './packet-state.js';

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
  | {
      readonly kind: 'route';
      readonly route: Route;
      readonly table: string;
      readonly derived: boolean;
      /** The `ip rule` that chose the table (or refused: blackhole, unreachable, prohibit); null with the default rules. */
      readonly rule?: PolicyRule | null;
    }
  | { readonly kind: 'none'; readonly derived: boolean };

/**
 * What the lookup knows of the packet besides its destination (struct flowi4): its source, the interface it came
 * in by (`lo` for what the host sends itself) and its mark — what `ip rule` selectors read.
 */
export interface RouteKey {
  readonly src: number;
  readonly iif: string;
  readonly mark: number;
  /**
   * The packet's IP protocol and ports, as the kernel's flow dissector gives them to rules that select by them
   * (`ipproto`, `sport`, `dport`; 0 for protocols without ports, ICMP among them); absent: 0, a lookup with no
   * packet behind it.
   */
  readonly proto?: number;
  readonly sport?: number;
  readonly dport?: number;
}

/** A lookup for the destination alone: from no particular address, sent by the host, unmarked. */
export const HOST_KEY: RouteKey = { src: 0, iif: 'lo', mark: 0 };

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
export function lookupRoute(view: HostView, dst: number, key: RouteKey = HOST_KEY): RouteResult {
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
  if (view.policy !== null) return policyLookup(view, view.policy, dst, key);
  for (const t of ['main', 'default']) {
    const found = searchTable(view, t, dst);
    if (found) return found;
  }
  return { kind: 'none', derived: false };
}

/** The route table `t` gives `dst` (longest prefix, lowest metric); null when none does or a `throw` route ends the search. */
function searchTable(view: HostView, t: string, dst: number): RouteResult | null {
  const list = view.tables.get(t);
  if (!list) return null;
  for (const r of list) {
    if (!routeMatches(r, dst)) continue;
    if (r.type === 'throw') return null;
    if (r.type === 'local' || r.type === 'broadcast') {
      return { kind: 'local', why: `${r.type} route in table ${t}`, broadcast: r.type === 'broadcast', route: r, iface: r.dev };
    }
    return { kind: 'route', route: r, table: t, derived: false };
  }
  return null;
}

/**
 * Whether an `ip rule` takes the packet (fib_rule_match): every selector it has must hold — `from`/`to` prefixes,
 * `iif` (the interface it came in by; `lo` for the host's own), `oif` (never set for a forwarded packet), `fwmark`
 * under its mask, `ipproto`, `sport`/`dport` ranges — and `not` inverts the whole. A rule with selectors natlens
 * does not model takes nothing.
 */
export function policyMatches(r: PolicyRule, dst: number, key: RouteKey): boolean {
  if (r.family !== 4 || r.unmodelled.length > 0) return false;
  const hit =
    (r.from === null || cidrContains(r.from, key.src)) &&
    (r.to === null || cidrContains(r.to, dst)) &&
    (r.iif === null || r.iif === key.iif) &&
    r.oif === null &&
    (r.fwmark === null || ((key.mark ^ r.fwmark.value) & r.fwmark.mask) >>> 0 === 0) &&
    (r.ipproto == null || r.ipproto === (key.proto ?? 0)) &&
    inPorts(r.sport, key.sport) &&
    inPorts(r.dport, key.dport);
  return hit !== r.not;
}

function inPorts(range: PortRange | null | undefined, port: number | undefined): boolean {
  if (range == null) return true;
  const p = port ?? 0;
  return p >= range.lo && p <= range.hi;
}

/** The protocol and ports a rule's `ipproto`/`sport`/`dport` see of a packet: ports of TCP, UDP, SCTP…, else 0. */
export function flowKeys(proto: number, sport: number, dport: number): { proto: number; sport: number; dport: number } {
  return hasPorts(proto) ? { proto, sport, dport } : { proto, sport: 0, dport: 0 };
}

/**
 * The kernel's walk of the `ip rule` list (fib_rules_lookup): rules in priority order; one that takes the packet
 * looks up its table — no route there (or a `throw`), or one no longer than its `suppress_prefixlength`, and the
 * next rule is tried —, jumps (`goto`), does nothing (`nop`), or refuses (`blackhole`, `unreachable`, `prohibit`:
 * returned as a route of that type, so the walk treats it as one).
 */
function policyLookup(view: HostView, rules: readonly PolicyRule[], dst: number, key: RouteKey): RouteResult {
  let budget = rules.length * 4;
  for (let k = 0; k < rules.length && budget-- > 0; k++) {
    const r = rules[k]!;
    if (!policyMatches(r, dst, key)) continue;
    if (r.action === 'nop') continue;
    if (r.action === 'goto') {
      const target = rules.findIndex((x) => x.priority === r.goto);
      // An unresolved goto is passed over; a resolved one evaluates its target next (k++ brings it back to it).
      if (target > k) k = target - 1;
      continue;
    }
    if (r.action !== 'lookup') {
      const route: Route = { table: `ip rule ${r.priority}`, type: r.action, dst: null, family: 4, via: null, dev: null, prefsrc: null, metric: 0, proto: null, scope: null, text: `ip rule ${r.text}`, source: r.source };
      return { kind: 'route', route, table: `ip rule ${r.priority}`, derived: false, rule: r };
    }
    const found = searchTable(view, tableName(r.table ?? 'main'), dst);
    if (!found) continue;
    if (found.kind === 'route' && r.suppressPrefixLength !== null && (found.route.dst?.prefix ?? 0) <= r.suppressPrefixLength) continue;
    return found.kind === 'route' ? { ...found, rule: r } : found;
  }
  return { kind: 'none', derived: false };
}

/** Whether a policy rule is the kernel's own (0 local, 32766 main, 32767 default): not worth naming on a route. */
export function isDefaultPolicyRule(r: PolicyRule): boolean {
  return !r.not && r.from === null && r.to === null && r.iif === null && r.oif === null && r.fwmark === null && r.action === 'lookup' &&
    ((r.priority === 0 && tableName(r.table ?? '') === 'local') || (r.priority === 32766 && tableName(r.table ?? '') === 'main') || (r.priority === 32767 && tableName(r.table ?? '') === 'default'));
}
