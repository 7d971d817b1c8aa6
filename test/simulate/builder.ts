/**
 * Build Snapshots by hand for the simulator tests: rules, routes, sysctls and addresses stated in the test,
 * independent of the parsers. Lines are numbered in the order things are declared so that tests can assert
 * which line a step cites.
 */
import { parseCidr4, parseIpv4 } from '../../src/model/address.js';
import type { ConntrackEntry, HostInterface, HostState, Neighbour, Route, RouteType, Sysctl } from '../../src/model/host.js';
import type { AddrMatch, Chain, Match, NatRange, Rule, Ruleset, Table, TableName, Target } from '../../src/model/ruleset.js';
import type { Snapshot } from '../../src/model/snapshot.js';

export const RULES_FILE = 'rules.txt';

export function ip(s: string): number {
  const v = parseIpv4(s);
  if (v < 0) throw new Error(`bad address ${s}`);
  return v;
}

function addr(s: string): AddrMatch {
  const neg = s.startsWith('!');
  const c = parseCidr4(neg ? s.slice(1) : s);
  if (!c) throw new Error(`bad cidr ${s}`);
  return { cidr: c, negate: neg };
}

/** Match builders: `!` prefix negates. */
export const m = {
  src: (s: string): Match => ({ kind: 'src', addr: addr(s) }),
  dst: (s: string): Match => ({ kind: 'dst', addr: addr(s) }),
  in: (s: string): Match => ({ kind: 'in', name: s.replace(/^!/, ''), negate: s.startsWith('!') }),
  out: (s: string): Match => ({ kind: 'out', name: s.replace(/^!/, ''), negate: s.startsWith('!') }),
  proto: (p: number, negate = false): Match => ({ kind: 'proto', proto: p, negate }),
  dport: (lo: number, hi = lo, negate = false): Match => ({ kind: 'dport', ranges: [{ lo, hi }], negate }),
  sport: (lo: number, hi = lo, negate = false): Match => ({ kind: 'sport', ranges: [{ lo, hi }], negate }),
  dports: (...ports: number[]): Match => ({ kind: 'dport', ranges: ports.map((p) => ({ lo: p, hi: p })), negate: false }),
  icmpType: (type: number, code = -1, negate = false): Match => ({ kind: 'icmp-type', type, code, negate }),
  ctstate: (states: string[], negate = false): Match => ({ kind: 'ctstate', states, negate }),
  ctorigdst: (s: string): Match => ({ kind: 'ctorigdst', addr: addr(s) }),
  ctorigsrc: (s: string): Match => ({ kind: 'ctorigsrc', addr: addr(s) }),
  mark: (value: number, mask = 0xffffffff, negate = false): Match => ({ kind: 'mark', value, mask, negate }),
  connmark: (value: number, mask = 0xffffffff, negate = false): Match => ({ kind: 'connmark', value, mask, negate }),
  comment: (text: string): Match => ({ kind: 'comment', text }),
  addrtype: (o: { src?: string[]; dst?: string[]; negateDst?: boolean; negateSrc?: boolean; limitIn?: boolean }): Match => ({
    kind: 'addrtype',
    ...(o.src ? { srcType: o.src } : {}),
    ...(o.dst ? { dstType: o.dst } : {}),
    negateSrc: o.negateSrc ?? false,
    negateDst: o.negateDst ?? false,
    limitIfaceIn: o.limitIn ?? false,
    limitIfaceOut: false,
  }),
  random: (probability: number, negate = false): Match => ({ kind: 'statistic', mode: 'random', probability, negate }),
  nth: (every: number): Match => ({ kind: 'statistic', mode: 'nth', every, packet: 0, negate: false }),
  fragment: (negate = false): Match => ({ kind: 'fragment', negate }),
  unknown: (module: string, ...args: string[]): Match => ({ kind: 'unknown', module, args }),
};

function range(s: string): NatRange {
  const [a, p] = s.split(':');
  const [alo, ahi] = (a ?? '').split('-');
  const [plo, phi] = (p ?? '').split('-');
  const lo = alo ? ip(alo) : 0;
  return { addrLo: lo, addrHi: ahi ? ip(ahi) : lo, portLo: plo ? Number(plo) : 0, portHi: phi ? Number(phi) : plo ? Number(plo) : 0 };
}

/** Target builders. */
export const t = {
  accept: (): Target => ({ kind: 'ACCEPT' }),
  drop: (): Target => ({ kind: 'DROP' }),
  ret: (): Target => ({ kind: 'RETURN' }),
  reject: (rejectWith = 'icmp-port-unreachable'): Target => ({ kind: 'REJECT', rejectWith }),
  jump: (chain: string): Target => ({ kind: 'jump', chain }),
  goto: (chain: string): Target => ({ kind: 'goto', chain }),
  dnat: (...to: string[]): Target => ({ kind: 'DNAT', to: to.map(range), random: false, persistent: false }),
  snat: (to: string, o: { random?: boolean; randomFully?: boolean } = {}): Target => ({
    kind: 'SNAT',
    to: [range(to)],
    random: o.random ?? false,
    randomFully: o.randomFully ?? false,
    persistent: false,
  }),
  masquerade: (o: { ports?: [number, number]; randomFully?: boolean } = {}): Target => ({
    kind: 'MASQUERADE',
    ports: o.ports ? { lo: o.ports[0], hi: o.ports[1] } : null,
    random: false,
    randomFully: o.randomFully ?? false,
  }),
  redirect: (ports?: [number, number]): Target => ({ kind: 'REDIRECT', ports: ports ? { lo: ports[0], hi: ports[1] } : null }),
  mark: (...args: string[]): Target => ({ kind: 'MARK', args }),
  connmark: (...args: string[]): Target => ({ kind: 'CONNMARK', args }),
  log: (): Target => ({ kind: 'LOG', args: ['--log-prefix', 'x'] }),
  notrack: (): Target => ({ kind: 'CT', notrack: true, args: ['--notrack'] }),
  unknown: (name: string): Target => ({ kind: 'unknown', name, args: [] }),
  none: (): Target => ({ kind: 'none' }),
};

export interface RuleSpec {
  readonly matches?: readonly Match[];
  readonly target: Target;
  readonly unsure?: readonly string[];
}

export function r(target: Target, ...matches: Match[]): RuleSpec {
  return { target, matches };
}

/** `{ nat: { PREROUTING: ['ACCEPT', [rules…]], MYCHAIN: [null, [rules…]] } }`; line numbers count from 1. */
export type TablesSpec = Partial<Record<TableName, Record<string, readonly [('ACCEPT' | 'DROP' | null), readonly RuleSpec[]]>>>;

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

export function ruleset(spec: TablesSpec, extra: Partial<Ruleset> = {}): Ruleset {
  let line = 0;
  const tables: Partial<Record<TableName, Table>> = {};
  for (const [tname, chains] of Object.entries(spec) as [TableName, NonNullable<TablesSpec[TableName]>][]) {
    const out: Chain[] = [];
    for (const [cname, [policy, rules]] of Object.entries(chains)) {
      const builtin = BUILTIN.has(cname);
      const chainLine = ++line;
      const built: Rule[] = rules.map((rs, i) => ({
        table: tname,
        chain: cname,
        index: i + 1,
        matches: rs.matches ?? [],
        target: rs.target,
        counters: { packets: 0, bytes: 0 },
        source: { file: RULES_FILE, line: ++line },
        text: `-A ${cname} rule ${i + 1}`,
        unsure: rs.unsure ?? [],
      }));
      out.push({
        name: cname,
        builtin,
        policy: builtin ? (policy ?? 'ACCEPT') : null,
        policyCounters: builtin ? { packets: 0, bytes: 0 } : null,
        rules: built,
        source: { file: RULES_FILE, line: chainLine },
      });
    }
    tables[tname] = { name: tname, chains: out };
  }
  return { family: 4, backend: 'legacy', iptablesVersion: '1.8.9', tables, legacyTablesPresent: null, sources: [], ...extra };
}

let hostLine = 0;
const src = (file: string) => ({ file, line: ++hostLine });

export function iface(name: string, addrs: string[], o: { mtu?: number; flags?: string[]; secondary?: string[]; link?: string } = {}): HostInterface {
  const mk = (a: string, secondary: boolean) => {
    const [address, prefix] = a.split('/');
    return { family: 4 as const, address: address!, v4: ip(address!), prefix: Number(prefix ?? 32), secondary, scope: 'global', source: src('ip-addr.txt') };
  };
  return {
    ifindex: 0,
    name,
    mtu: o.mtu ?? 1500,
    flags: o.flags ?? ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    operState: 'UP',
    mac: null,
    ...(o.link !== undefined ? { link: o.link } : {}),
    addresses: [...addrs.map((a) => mk(a, false)), ...(o.secondary ?? []).map((a) => mk(a, true))],
    source: src('ip-addr.txt'),
  };
}

export function route(dst: string, o: { via?: string; dev?: string; metric?: number; type?: RouteType; table?: string } = {}): Route {
  return {
    table: o.table ?? 'main',
    type: o.type ?? 'unicast',
    dst: dst === 'default' ? null : parseCidr4(dst),
    family: 4,
    via: o.via ? ip(o.via) : null,
    dev: o.dev ?? null,
    prefsrc: null,
    metric: o.metric ?? 0,
    proto: null,
    scope: null,
    text: `${o.type && o.type !== 'unicast' ? o.type + ' ' : ''}${dst}${o.via ? ' via ' + o.via : ''}${o.dev ? ' dev ' + o.dev : ''}${o.metric ? ' metric ' + o.metric : ''}`,
    source: src('ip-route.txt'),
  };
}

export function neigh(address: string, dev: string, states: string[], lladdr: string | null = null): Neighbour {
  return { family: 4, address, v4: ip(address), dev, lladdr, states, source: src('ip-neigh.txt') };
}

export interface SnapSpec {
  readonly rules?: Ruleset | null;
  readonly sysctls?: Record<string, string> | null;
  readonly interfaces?: readonly HostInterface[] | null;
  readonly routes?: readonly Route[] | null;
  readonly neighbours?: readonly Neighbour[] | null;
  readonly conntrack?: readonly ConntrackEntry[] | null;
}

/** A two-interface gateway unless told otherwise: `lan0` 192.168.7.1/24 inside, `wan9` 100.64.9.2/24 outside. */
export function snapshot(o: SnapSpec = {}): Snapshot {
  const sysctls = new Map<string, Sysctl>();
  const sys =
    o.sysctls === undefined
      ? { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.lan0.rp_filter': '0', 'net.ipv4.conf.wan9.rp_filter': '0', 'net.ipv4.conf.lan0.forwarding': '1', 'net.ipv4.conf.wan9.forwarding': '1' }
      : o.sysctls;
  let line = 0;
  for (const [key, value] of Object.entries(sys ?? {})) sysctls.set(key, { key, value, source: { file: 'sysctl.txt', line: ++line } });
  const interfaces = o.interfaces === undefined ? [iface('lo', ['127.0.0.1/8'], { mtu: 65536, flags: ['LOOPBACK', 'UP'] }), iface('lan0', ['192.168.7.1/24']), iface('wan9', ['100.64.9.2/24'])] : (o.interfaces ?? []);
  const routes =
    o.routes === undefined
      ? [route('default', { via: '100.64.9.1', dev: 'wan9' }), route('192.168.7.0/24', { dev: 'lan0' }), route('100.64.9.0/24', { dev: 'wan9' })]
      : (o.routes ?? []);
  const host: HostState = {
    sysctls,
    interfaces,
    routes,
    neighbours: o.neighbours ?? [],
    conntrack: o.conntrack ?? null,
    conntrackStats: null,
    kernelMessages: [],
    qdiscs: [],
    have: {
      sysctls: o.sysctls !== null,
      addresses: o.interfaces !== null,
      routes: o.routes !== null,
      neighbours: o.neighbours !== undefined && o.neighbours !== null,
      conntrack: o.conntrack !== undefined && o.conntrack !== null,
    },
  };
  return { rules: o.rules === undefined ? null : o.rules, rules6: null, host, files: [], disagreements: [], warnings: [] };
}
