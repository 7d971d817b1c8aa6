import { cidrContains, ipv4ToString, prefixMask } from '../model/address.js';
import { policyTablesMissing, tableName, type HostInterface, type InterfaceAddress, type Neighbour, type PolicyRule, type Route, type Sysctl } from '../model/host.js';
import type { Chain, Table, TableName } from '../model/ruleset.js';
import type { NftBaseChain, NftHook } from '../model/nftables.js';
import type { Snapshot } from '../model/snapshot.js';

/**
 * Everything the simulator looks up, indexed once per snapshot so that a walk per flow stays cheap
 * (the correlation calls `simulate` thousands of times with the same snapshot).
 */
export interface HostView {
  readonly snapshot: Snapshot;
  readonly interfaces: ReadonlyMap<string, HostInterface>;
  /** Every IPv4 address configured on an interface → the interface holding it. */
  readonly localAddrs: ReadonlyMap<number, { readonly iface: HostInterface; readonly addr: InterfaceAddress }>;
  /** Subnet broadcast addresses (the kernel adds them to the local table as `broadcast` routes). */
  readonly broadcastAddrs: ReadonlySet<number>;
  /** IPv4 routes of each table, longest prefix first, then lowest metric (the kernel's tie-break). */
  readonly tables: ReadonlyMap<string, readonly Route[]>;
  /** Connected routes derived from the addresses (used only when the snapshot holds no routes). */
  readonly derivedRoutes: readonly Route[];
  /** Neighbour entries keyed `dev|address`. */
  readonly neighbours: ReadonlyMap<string, Neighbour>;
  readonly chains: Readonly<Partial<Record<TableName, ReadonlyMap<string, Chain>>>>;
  /** Routing tables other than local, main and default (not consulted without `ip rule`), sorted. */
  readonly otherRouteTables: readonly string[];
  /**
   * Whether the rules that set packet marks are known: the snapshot lists the mangle table, or a whole iptables-save
   * (several tables) shows there is none. A listing of the nat table alone leaves every `-m mark` open.
   */
  readonly marksKnown: boolean;
  /** The IPv4 `ip rule` list in priority order; null when the snapshot has none (the kernel's default rules apply). */
  readonly policy: readonly PolicyRule[] | null;
  /** What that list leaves the simulator to assume, said on every walk: tables it looks up that the routes lack, selectors not modelled. */
  readonly policyAssumptions: readonly string[];
  /** The nftables base chains by hook, each hook's in priority order (`nft list ruleset`); empty without one. */
  readonly nftHooks: ReadonlyMap<NftHook, readonly NftBaseChain[]>;
  /**
   * What the simulator worked out once per snapshot and reuses for every packet (sysctl lookups by key,
   * the forwarding gate per interface…): thousands of flows ask the same questions. Keyed by purpose.
   */
  readonly memo: Map<string, unknown>;
}

const cache = new WeakMap<Snapshot, HostView>();

/** Memoised per snapshot object: the snapshot is immutable, so the index never goes stale. */
export function hostView(snapshot: Snapshot): HostView {
  let v = cache.get(snapshot);
  if (!v) {
    v = buildView(snapshot);
    cache.set(snapshot, v);
  }
  return v;
}

function buildView(snapshot: Snapshot): HostView {
  const host = snapshot.host;
  const interfaces = new Map<string, HostInterface>();
  const localAddrs = new Map<number, { iface: HostInterface; addr: InterfaceAddress }>();
  const broadcastAddrs = new Set<number>();
  const derivedRoutes: Route[] = [];
  for (const itf of host.interfaces) {
    interfaces.set(itf.name, itf);
    for (const a of itf.addresses) {
      if (a.family !== 4 || a.v4 < 0) continue;
      if (!localAddrs.has(a.v4)) localAddrs.set(a.v4, { iface: itf, addr: a });
      if (a.prefix < 31) broadcastAddrs.add((a.v4 | ~prefixMask(a.prefix)) >>> 0);
      if (a.prefix < 32 && !a.secondary && a.scope !== 'host') {
        const net = (a.v4 & prefixMask(a.prefix)) >>> 0;
        derivedRoutes.push({
          table: 'main',
          type: 'unicast',
          dst: { addr: net, prefix: a.prefix },
          family: 4,
          via: null,
          dev: itf.name,
          prefsrc: a.v4,
          metric: 0,
          proto: 'kernel',
          scope: 'link',
          text: `${ipv4ToString(net)}/${a.prefix} dev ${itf.name} proto kernel scope link src ${a.address} (derived from the address)`,
          source: a.source,
        });
      }
    }
  }
  const tables = new Map<string, Route[]>();
  for (const r of host.routes) {
    if (r.family !== 4) continue;
    const t = tableName(r.table);
    let list = tables.get(t);
    if (!list) tables.set(t, (list = []));
    list.push(r);
  }
  for (const list of tables.values()) list.sort(routeOrder);
  derivedRoutes.sort(routeOrder);

  const neighbours = new Map<string, Neighbour>();
  for (const n of host.neighbours) if (n.family === 4) neighbours.set(`${n.dev}|${n.v4}`, n);

  const chains: Partial<Record<TableName, Map<string, Chain>>> = {};
  const rules = snapshot.rules;
  if (rules) {
    for (const [name, table] of Object.entries(rules.tables) as [TableName, Table | undefined][]) {
      if (!table) continue;
      const m = new Map<string, Chain>();
      for (const c of table.chains) m.set(c.name, c);
      chains[name] = m;
    }
  }
  const otherRouteTables = [...tables.keys()].filter((t) => t !== 'main' && t !== 'local' && t !== 'default').sort();
  const v4rules = (host.policyRules ?? []).filter((r) => r.family === 4);
  const policy = v4rules.length > 0 ? v4rules : null;
  const policyAssumptions: string[] = [];
  if (policy) {
    const missing = [...new Set(policyTablesMissing(policy, new Set(tables.keys())).map((r) => tableName(r.table!)))];
    if (missing.length > 0) {
      policyAssumptions.push(`the ip rules look up table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the snapshot's routes do not hold: taken as empty (\`ip route show table all\` lists every table)`);
    }
    const odd = policy.filter((r) => r.unmodelled.length > 0);
    if (odd.length > 0) {
      policyAssumptions.push(`ip rule ${odd.map((r) => `${r.priority} (${r.unmodelled.join(', ')})`).join(', ')}: selectors natlens does not model; taken as matching nothing`);
    }
  }
  // A ruleset not read from files (built whole) states every rule there is.
  const marksKnown = !rules || rules.sources.length === 0 || rules.tables.mangle !== undefined || rules.sources.some((x) => (x.format === 'iptables-save' || x.format === 'iptables-S') && x.tables.length > 1);
  const nftHooks = new Map<NftHook, NftBaseChain[]>();
  for (const b of snapshot.nft?.baseChains ?? []) {
    if (b.type === 'route') continue;
    let list = nftHooks.get(b.hook);
    if (!list) nftHooks.set(b.hook, (list = []));
    list.push(b);
  }
  for (const list of nftHooks.values()) list.sort((a, b) => a.priority - b.priority);
  return { snapshot, interfaces, localAddrs, broadcastAddrs, tables, derivedRoutes, neighbours, chains, otherRouteTables, policy, policyAssumptions, nftHooks, marksKnown, memo: new Map() };
}

function routeOrder(a: Route, b: Route): number {
  const pa = a.dst ? a.dst.prefix : 0;
  const pb = b.dst ? b.dst.prefix : 0;
  if (pa !== pb) return pb - pa;
  return a.metric - b.metric;
}

export function routeMatches(r: Route, dst: number): boolean {
  return r.dst === null || cidrContains(r.dst, dst);
}

/** A sysctl by key; interface names with dots appear with `/` in `sysctl -a` (eth0.100 → eth0/100). */
export function sysctl(view: HostView, key: string): Sysctl | undefined {
  const memo = memoOf<string, Sysctl | null>(view, 'sysctl');
  let v = memo.get(key);
  if (v === undefined) {
    const s = view.snapshot.host.sysctls;
    v = s.get(key) ?? s.get(key.replace(/^(net\.ipv4\.conf\.)(.+)(\.[a-z_]+)$/, (_m, a: string, b: string, c: string) => a + b.replace(/\./g, '/') + c)) ?? null;
    memo.set(key, v);
  }
  return v ?? undefined;
}

/** The view's memo map for `purpose` (made on first use). */
export function memoOf<K, V>(view: HostView, purpose: string): Map<K, V> {
  let m = view.memo.get(purpose) as Map<K, V> | undefined;
  if (m === undefined) {
    m = new Map<K, V>();
    view.memo.set(purpose, m);
  }
  return m;
}

export function sysctlInt(s: Sysctl | undefined): number | null {
  if (!s) return null;
  const n = Number(s.value.trim());
  return Number.isInteger(n) ? n : null;
}
