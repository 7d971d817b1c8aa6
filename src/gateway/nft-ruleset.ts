/**
 * `nft list ruleset` (nftables, also `nft -a`, with `# handle N`) → the base chains IPv4 packets meet, their rules
 * read into the rule model iptables' use (`Rule`, `Chain`), so that the simulator walks them the same way:
 *
 *   table ip kube-ovn {
 *     map service-ips {
 *       type ipv4_addr . inet_proto . inet_service : verdict
 *       elements = { 100.64.9.34 . tcp . 9443 : goto dnat-5f3c0a9b21de }
 *     }
 *     chain prerouting {
 *       type nat hook prerouting priority mangle; policy accept;
 *       ip daddr . meta l4proto . th dport vmap @service-ips
 *     }
 *     chain dnat-5f3c0a9b21de {
 *       meta l4proto tcp dnat ip to numgen random mod 1 map { 0 : 10.77.3.20 . 443 }
 *     }
 *   }
 *
 * What is read: tables of family ip and inet; sets and maps with their elements; base chains (type, hook,
 * priority, policy); rules made of the matches `ip saddr/daddr/protocol`, `iifname/oifname/iif/oif`,
 * `meta l4proto/iifname/oifname/nfproto`, `tcp/udp/th/sctp dport/sport`, `ct state/status`, `icmp type`, the
 * address type of `fib saddr|daddr [. iif|oif] type` (as -m addrtype) — each against a value, a prefix, an address
 * range (as the prefixes covering it), an anonymous `{ … }` or a named `@set`, `!=` negating — and the statements `counter`,
 * `accept`, `drop`, `reject`, `return`, `jump`, `goto`, `dnat`, `snat`, `masquerade`, `redirect`, `notrack`, `log`,
 * `limit`, `meta/ct mark set`, the stateless rewrites `ip saddr/daddr set`, `tcp/udp/th sport/dport set`; verdict maps (`A . B vmap @m`, `vmap { … }`) and `dnat … to numgen random mod N
 * map { … }` (one of several backends). A rule with a set becomes one rule per element (a negated set: one rule
 * with every element excluded). Anything else a rule holds is an unmodelled match: the rule "may match", and the
 * trace says so.
 */
import { ipv4ToString, parseCidr4, parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { NftBaseChain, NftHook, NftRuleset } from '../model/nftables.js';
import type { Chain, Match, NatRange, PortRange, Rule, TableName, Target } from '../model/ruleset.js';
import type { Counters } from '../model/source.js';
import { ruleText } from './rule-text.js';

interface Tok {
  readonly t: string;
  readonly line: number;
  /** A quoted string ("eth0"): never punctuation. */
  readonly quoted: boolean;
}

const PUNCT = new Set(['{', '}', ',', ';', '\n']);

/** Words, quoted strings and the punctuation `{ } , ;`, with line ends kept (they end rules); `#` comments dropped. */
function lex(text: string): Tok[] {
  const out: Tok[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!.replace(/\r$/, '');
    const no = k + 1;
    let i = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      if (c === '#') break;
      if (c === '"') {
        const end = line.indexOf('"', i + 1);
        const s = end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
        out.push({ t: s, line: no, quoted: true });
        i = end < 0 ? line.length : end + 1;
        continue;
      }
      if (c === '{' || c === '}' || c === ',' || c === ';') {
        out.push({ t: c, line: no, quoted: false });
        i++;
        continue;
      }
      let j = i;
      while (j < line.length && !' \t{},;"#'.includes(line[j]!)) j++;
      out.push({ t: line.slice(i, j), line: no, quoted: false });
      i = j;
    }
    out.push({ t: '\n', line: no, quoted: false });
  }
  return out;
}

const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100, out: 100, bridge: -200 };
const HOOKS: Record<string, NftHook> = { prerouting: 'PREROUTING', input: 'INPUT', forward: 'FORWARD', output: 'OUTPUT', postrouting: 'POSTROUTING' };
const PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136 };
/** What no IPv4 packet matches (`ip6 …`, `meta nfproto ipv6` in an inet table): `! -p all`. */
const NEVER: Match = { kind: 'proto', proto: 0, negate: true };
const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8, 'router-advertisement': 9,
  'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12, 'timestamp-request': 13, 'timestamp-reply': 14,
};
const REJECT_NAMES: Record<string, string> = {
  'net-unreachable': 'icmp-net-unreachable', 'host-unreachable': 'icmp-host-unreachable', 'prot-unreachable': 'icmp-proto-unreachable',
  'port-unreachable': 'icmp-port-unreachable', 'net-prohibited': 'icmp-net-prohibited', 'host-prohibited': 'icmp-host-prohibited',
  'admin-prohibited': 'icmp-admin-prohibited', 'no-route': 'icmp-net-unreachable', 'addr-unreachable': 'icmp-host-unreachable',
};
/** Rules a set expands into, at most; beyond, the rule is kept whole and "may match". */
const MAX_EXPANSION = 512;

/**
 * A rule of iptables-nft's own tables as `iptables -S` prints it after `-A CHAIN` (jumps by the bare chain names
 * iptables uses), so that what changes it can be written in iptables' words; null when it cannot be written from
 * what was read: a set, a verdict map, statements before the verdict, a match or statement natlens does not model.
 */
function iptablesSpec(r: Reading, chain: string, prefix: string): string | null {
  if (r.alts.length !== 1 || r.vmap || r.pre.length) return null;
  // A protocol said twice (`meta l4proto icmp icmp type …` reads as two) is one -p.
  const matches = r.alts[0]!.filter((m, i, all) => m.kind !== 'proto' || all.findIndex((x) => x.kind === 'proto' && x.proto === m.proto && x.negate === m.negate) === i);
  if (matches.some((m) => m.kind === 'unknown' || ((m.kind === 'src' || m.kind === 'dst') && !m.addr.cidr))) return null;
  let target = r.target;
  if (target.kind === 'unknown' || target.kind === 'SET') return null;
  // nft's `notrack` is what iptables-nft makes of `-j CT --notrack`, as iptables-nft-save prints it.
  if (target.kind === 'NOTRACK') target = { kind: 'CT', notrack: true, args: ['--notrack'] };
  if (target.kind === 'jump' || target.kind === 'goto') {
    if (!target.chain.startsWith(prefix)) return null;
    target = { kind: target.kind, chain: target.chain.slice(prefix.length) };
  }
  return ruleText(chain, matches, target).slice(`-A ${chain}`.length).trimStart();
}

/** The iptables table a base chain stands in for in the trace. */
function stageOf(type: string, priority: number): TableName {
  if (type === 'nat') return 'nat';
  if (priority <= -300) return 'raw';
  if (priority <= -150) return 'mangle';
  if (priority < 50) return 'filter';
  return 'security';
}

function parsePriority(words: string[]): number | null {
  const text = words.join(' ').replace(/\s+/g, '');
  const m = /^([a-z]+|-?\d+)(?:([+-])(\d+))?$/.exec(text);
  if (!m) return null;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : PRIORITY_NAMES[m[1]!];
  if (base === undefined) return null;
  return base + (m[2] ? (m[2] === '+' ? 1 : -1) * Number(m[3]) : 0);
}

/** A set's or map's elements: each a list of key parts (concatenations split on ` . `), and its value for a map. */
interface Element {
  readonly key: readonly string[];
  readonly value: readonly string[] | null;
}

/** Split a brace body (`a, b . c : goto x, …`) into elements. */
function elementsOf(toks: readonly string[]): Element[] {
  const out: Element[] = [];
  let cur: string[] = [];
  let depth = 0;
  const flush = (): void => {
    if (!cur.length) return;
    const colon = cur.indexOf(':');
    const key = colon < 0 ? cur : cur.slice(0, colon);
    const value = colon < 0 ? null : cur.slice(colon + 1);
    out.push({ key: splitConcat(key), value });
    cur = [];
  };
  for (const t of toks) {
    if (t === '\n') continue;
    if (t === '{') depth++;
    if (t === '}') depth--;
    if (t === ',' && depth === 0) {
      flush();
      continue;
    }
    cur.push(t);
  }
  flush();
  return out;
}

/** `a . b . c` → ['a', 'b', 'c']; a part of several words (`10.0.0.0/8`) stays one string. */
function splitConcat(words: readonly string[]): string[] {
  const parts: string[] = [];
  let cur: string[] = [];
  for (const w of words) {
    if (w === '.') {
      parts.push(cur.join(' '));
      cur = [];
    } else cur.push(w);
  }
  parts.push(cur.join(' '));
  return parts;
}

interface RawChain {
  name: string;
  line: number;
  type: string | null;
  hook: string | null;
  priority: number | null;
  policy: 'ACCEPT' | 'DROP' | null;
  rules: { toks: string[]; line: number; text: string }[];
}

interface RawTable {
  family: string;
  name: string;
  line: number;
  chains: RawChain[];
  sets: Map<string, Element[]>;
}

/** Collect the tokens of a `{ … }` block starting at `i` (on the `{`); returns the inner tokens and the index after `}`. */
function block(toks: readonly Tok[], i: number): { inner: Tok[]; next: number } {
  let depth = 0;
  const inner: Tok[] = [];
  for (let j = i; j < toks.length; j++) {
    const t = toks[j]!;
    if (!t.quoted && t.t === '{') {
      depth++;
      if (depth === 1) continue;
    } else if (!t.quoted && t.t === '}') {
      depth--;
      if (depth === 0) return { inner, next: j + 1 };
    }
    inner.push(t);
  }
  return { inner, next: toks.length };
}

function readTables(text: string, file: string, warnings: InputWarning[]): RawTable[] {
  const toks = lex(text);
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const tables: RawTable[] = [];
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    if (t.t === 'table' && !t.quoted) {
      const family = toks[i + 1]?.t ?? '';
      const name = toks[i + 2]?.t ?? '';
      const open = toks.findIndex((x, k) => k > i && x.t === '{' && !x.quoted);
      if (open < 0 || open > i + 4) {
        warnings.push({ code: 'parse', file, line: t.line, message: `cannot read the nftables table header "${toks.slice(i, i + 4).map((x) => x.t).join(' ')}"` });
        i++;
        continue;
      }
      const { inner, next } = block(toks, open);
      tables.push(readTable(family, name, t.line, inner, lines, file, warnings));
      i = next;
      continue;
    }
    i++;
  }
  return tables;
}

function readTable(family: string, name: string, line: number, toks: Tok[], lines: readonly string[], file: string, warnings: InputWarning[]): RawTable {
  const table: RawTable = { family, name, line, chains: [], sets: new Map() };
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    const kind = t.quoted ? '' : t.t;
    if ((kind === 'chain' || kind === 'set' || kind === 'map' || kind === 'flowtable' || kind === 'counter' || kind === 'quota' || kind === 'ct' || kind === 'limit' || kind === 'secmark' || kind === 'synproxy') && toks[i + 1]) {
      let open = i + 1;
      while (open < toks.length && !(toks[open]!.t === '{' && !toks[open]!.quoted) && toks[open]!.t !== '\n') open++;
      if (toks[open]?.t !== '{') {
        i = open + 1;
        continue;
      }
      const objName = toks[i + 1]!.t;
      const { inner, next } = block(toks, open);
      if (kind === 'chain') table.chains.push(readChain(objName, t.line, inner, lines, file, warnings));
      else if (kind === 'set' || kind === 'map') table.sets.set(objName, readSetBody(inner));
      i = next;
      continue;
    }
    i++;
  }
  return table;
}

function readSetBody(toks: Tok[]): Element[] {
  const at = toks.findIndex((x) => x.t === 'elements' && !x.quoted);
  if (at < 0) return [];
  const open = toks.findIndex((x, k) => k > at && x.t === '{' && !x.quoted);
  if (open < 0) return [];
  const { inner } = block(toks, open);
  return elementsOf(inner.map((x) => x.t));
}

function readChain(name: string, line: number, toks: Tok[], lines: readonly string[], file: string, warnings: InputWarning[]): RawChain {
  const chain: RawChain = { name, line, type: null, hook: null, priority: null, policy: null, rules: [] };
  // Statements end at a line end or `;` outside braces.
  let cur: Tok[] = [];
  let depth = 0;
  const end = (): void => {
    if (!cur.length) return;
    const words = cur.map((x) => x.t);
    const first = words[0]!;
    if (first === 'type' && !cur[0]!.quoted) {
      chain.type = words[1] ?? null;
      const h = words.indexOf('hook');
      if (h >= 0) chain.hook = words[h + 1] ?? null;
      const p = words.indexOf('priority');
      if (p >= 0) {
        chain.priority = parsePriority(words.slice(p + 1));
        if (chain.priority === null) warnings.push({ code: 'parse', file, line: cur[0]!.line, message: `cannot read the priority of nftables chain ${name}: ${words.slice(p + 1).join(' ')}` });
      }
    } else if (first === 'policy') {
      chain.policy = words[1] === 'drop' ? 'DROP' : 'ACCEPT';
    } else if (first !== 'comment' && first !== 'devices' && first !== 'device' && first !== 'flags') {
      // The rule as printed (its lines, without the `# handle N` comment).
      const from = cur[0]!.line;
      const to = cur[cur.length - 1]!.line;
      const text = lines
        .slice(from - 1, to)
        .map((l) => l.replace(/\s+#.*$/, '').trim())
        .join(' ');
      chain.rules.push({ toks: words, line: from, text: from === to && !text.includes(';') ? text : words.map((x, k) => (cur[k]!.quoted ? `"${x}"` : x)).join(' ') });
    }
    cur = [];
  };
  for (const t of toks) {
    if (!t.quoted && t.t === '{') depth++;
    if (!t.quoted && t.t === '}') depth--;
    if (depth === 0 && !t.quoted && (t.t === '\n' || t.t === ';')) {
      end();
      continue;
    }
    if (t.t === '\n') continue;
    cur.push(t);
  }
  end();
  return chain;
}

// ------------------------------------------------------------------------------------------- rule translation

/** One rule, read: alternatives (a set expands into them) of ANDed matches, and what it does. */
interface Reading {
  alts: Match[][];
  target: Target;
  /** Statements before the last (a mark or a rewrite before a verdict), applied in order when the rule matches. */
  pre: Target[];
  counters: Counters | null;
  /** A verdict map: per element, its matches and its verdict (the rule becomes one rule per element). */
  vmap: { matches: Match[]; target: Target }[] | null;
}

function unknown(text: string): Match {
  return { kind: 'unknown', module: 'nft', args: [text] };
}

function ifaceName(v: string): string {
  return v.endsWith('*') ? `${v.slice(0, -1)}+` : v;
}

function addrMatch(kind: 'src' | 'dst', v: string, negate: boolean): Match {
  const c = parseCidr4(v.includes('/') ? v : `${v}/32`);
  if (!c) return unknown(`ip ${kind === 'src' ? 'saddr' : 'daddr'} ${negate ? '!= ' : ''}${v}`);
  return { kind, addr: { cidr: c, negate } };
}

/** `A-B` (IPv4 addresses) as the fewest prefixes that cover it exactly, `a.b.c.d/n`; null for anything else. */
function rangePrefixes(v: string): string[] | null {
  const m = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (!m) return null;
  let lo = parseIpv4(m[1]!);
  const hi = parseIpv4(m[2]!);
  if (lo < 0 || hi < 0 || lo > hi) return null;
  const out: string[] = [];
  while (lo <= hi) {
    // The largest block aligned at lo that ends within the range (plain arithmetic: addresses go past 2^31).
    let size = 1;
    while (size < 2 ** 32 && lo % (size * 2) === 0 && lo + size * 2 - 1 <= hi) size *= 2;
    out.push(`${ipv4ToString(lo)}/${32 - Math.log2(size)}`);
    lo += size;
  }
  return out;
}

function portRange(v: string): PortRange | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) return null;
  return { lo: Number(m[1]), hi: Number(m[2] ?? m[1]) };
}

function protoOf(v: string): number | null {
  if (/^\d+$/.test(v)) return Number(v);
  return PROTOS[v] ?? null;
}

/** The match a selector (`ip saddr`, `th dport`, `iifname`…) makes with one value; null when the selector is not modelled. */
function selectorMatch(sel: string, v: string, negate: boolean): Match[] | null {
  switch (sel) {
    case 'ct original saddr':
    case 'ct original ip saddr':
    case 'ct original daddr':
    case 'ct original ip daddr':
    case 'ct reply saddr':
    case 'ct reply ip saddr':
    case 'ct reply daddr':
    case 'ct reply ip daddr': {
      const c = parseCidr4(v.includes('/') ? v : `${v}/32`);
      if (!c) return null;
      const kind = `ct${sel.includes('original') ? 'orig' : 'repl'}${sel.endsWith('saddr') ? 'src' : 'dst'}` as 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst';
      return [{ kind, addr: { cidr: c, negate } }];
    }
    case 'ip saddr':
      return [addrMatch('src', v, negate)];
    case 'ip daddr':
      return [addrMatch('dst', v, negate)];
    case 'iifname':
    case 'iif':
    case 'meta iifname':
    case 'meta iif':
      return [{ kind: 'in', name: ifaceName(v), negate }];
    case 'oifname':
    case 'oif':
    case 'meta oifname':
    case 'meta oif':
      return [{ kind: 'out', name: ifaceName(v), negate }];
    case 'ip protocol':
    case 'meta l4proto': {
      const p = protoOf(v);
      return p === null ? null : [{ kind: 'proto', proto: p, negate }];
    }
    case 'meta nfproto':
      return (v === 'ipv4') !== negate ? [] : [NEVER];
    case 'ct state':
      return [{ kind: 'ctstate', states: v.split(',').map((x) => x.toUpperCase()), negate }];
    case 'ct status':
      return v === 'dnat' || v === 'snat' ? [{ kind: 'ctstate', states: [v.toUpperCase()], negate }] : null;
    case 'icmp type': {
      const type = /^\d+$/.test(v) ? Number(v) : ICMP_TYPES[v];
      return type === undefined ? null : [{ kind: 'proto', proto: 1, negate: false }, { kind: 'icmp-type', type, code: -1, negate }];
    }
  }
  const port = /^(tcp|udp|sctp|th|udplite) (dport|sport)$/.exec(sel);
  if (port) {
    const r = portRange(v);
    if (!r) return null;
    const out: Match[] = [];
    const p = PROTOS[port[1]!];
    if (p !== undefined) out.push({ kind: 'proto', proto: p, negate: false });
    out.push({ kind: port[2] === 'dport' ? 'dport' : 'sport', ranges: [r], negate });
    return out;
  }
  return null;
}

/** The selector that starts at `i` (`ip saddr`, `iifname`, `ct original daddr`…), or null when none does. */
function selectorAt(w: readonly string[], i: number): string | null {
  const a = w[i];
  const b = w[i + 1];
  if (a === undefined) return null;
  if (a === 'iifname' || a === 'oifname' || a === 'iif' || a === 'oif') return a;
  if (b === undefined) return null;
  if (a === 'ip' && (b === 'saddr' || b === 'daddr' || b === 'protocol')) return `${a} ${b}`;
  if (a === 'meta' && ['l4proto', 'iifname', 'oifname', 'iif', 'oif', 'nfproto'].includes(b)) return `${a} ${b}`;
  if (/^(tcp|udp|sctp|th|udplite)$/.test(a) && (b === 'dport' || b === 'sport')) return `${a} ${b}`;
  if (a === 'ct' && (b === 'state' || b === 'status')) return `${a} ${b}`;
  if (a === 'icmp' && b === 'type') return `${a} ${b}`;
  const c = w[i + 2];
  if (a === 'ct' && (b === 'original' || b === 'reply') && (c === 'saddr' || c === 'daddr' || c === 'ip')) {
    // `ct original daddr V` (iptables-nft's `--ctorigdst`), also `ct original ip daddr V`.
    return c === 'ip' ? `ct ${b} ip ${w[i + 3]}` : `ct ${b} ${c}`;
  }
  return null;
}

const STATEMENTS = new Set(['comment', 'counter', 'accept', 'drop', 'reject', 'return', 'jump', 'goto', 'dnat', 'snat', 'masquerade', 'redirect', 'notrack', 'log', 'limit', 'continue', 'queue']);

/** The values a selector is compared with at `i`: one word, `{ … }` or `@set`; and the index after them. */
function valuesAt(w: readonly string[], i: number, sets: ReadonlyMap<string, Element[]>): { values: string[] | null; next: number } {
  const v = w[i];
  if (v === undefined) return { values: null, next: i };
  if (v === '{') {
    const { values, next } = braceElements(w, i);
    return { values: values.map((e) => e.key.join(' . ')), next };
  }
  if (v.startsWith('@')) {
    const s = sets.get(v.slice(1));
    return { values: s ? s.map((e) => e.key.join(' . ')) : null, next: i + 1 };
  }
  // A list without braces (`ct state established,related`): one value, the flags or states it names.
  let value = v;
  let j = i + 1;
  while (w[j] === ',' && w[j + 1] !== undefined) {
    value += `,${w[j + 1]}`;
    j += 2;
  }
  return { values: [value], next: j };
}

function natRange(v: string): NatRange | null {
  // 10.0.0.1, 10.0.0.1-10.0.0.9, 10.0.0.1:80, 10.0.0.1:80-90, :8080 (redirect/masquerade ports)
  const m = /^([\d.]*)(?:-([\d.]+))?(?::(\d+)(?:-(\d+))?)?$/.exec(v);
  if (!m) return null;
  const lo = m[1] ? parseIpv4(m[1]) : 0;
  const hi = m[2] ? parseIpv4(m[2]) : lo;
  if (lo < 0 || hi < 0) return null;
  const pLo = m[3] ? Number(m[3]) : 0;
  return { addrLo: lo, addrHi: hi, portLo: pLo, portHi: m[4] ? Number(m[4]) : pLo };
}

/** `dnat`/`snat` arguments after the keyword: `[ip] to X`, `ip addr . port to numgen … map { … }`, `to ip daddr map { … }`. */
function natTarget(kind: 'DNAT' | 'SNAT', w: readonly string[], i: number, sets: ReadonlyMap<string, Element[]>): { target: Target | null; alts: { matches: Match[]; target: Target }[] | null; next: number } {
  let j = i;
  if (w[j] === 'ip') j++;
  const pair = w[j] === 'addr' && w[j + 1] === '.' && w[j + 2] === 'port';
  if (pair) j += 3;
  if (w[j] !== 'to') return { target: null, alts: null, next: w.length };
  j++;
  const flags = w.slice(j);
  const mk = (to: NatRange[], random = flags.includes('random')): Target =>
    kind === 'DNAT'
      ? { kind: 'DNAT', to, random, persistent: flags.includes('persistent') }
      : { kind: 'SNAT', to, random, randomFully: flags.includes('fully-random'), persistent: flags.includes('persistent') };
  // An address and port pair is printed `a . p` (a concatenation) in maps, `a:p` otherwise.
  const rangeOf = (v: string): NatRange | null => natRange(v.replace(/ \. /, ':'));
  // numgen random mod N map { i : a . p, … } → one of the values.
  if (w[j] === 'numgen' || w[j] === 'jhash') {
    const open = w.indexOf('{', j);
    const named = w.slice(j).find((x) => x.startsWith('@'));
    let elements: Element[] | null = null;
    let next = w.length;
    if (open >= 0) {
      const { values, next: n } = braceElements(w, open);
      elements = values;
      next = n;
    } else if (named) elements = sets.get(named.slice(1)) ?? null;
    if (!elements) return { target: null, alts: null, next };
    const to = elements.map((e) => rangeOf((e.value ?? []).join(' '))).filter((r): r is NatRange => r !== null);
    if (!to.length) return { target: null, alts: null, next };
    return { target: mk(to, true), alts: null, next };
  }
  // `to ip daddr map { k : v, … }` (or `tcp dport map`): one rule per element.
  const sel = selectorAt(w, j);
  if (sel && w[j + sel.split(' ').length] === 'map') {
    const at = j + sel.split(' ').length + 1;
    let elements: Element[] | null = null;
    let next = w.length;
    if (w[at] === '{') {
      const r = braceElements(w, at);
      elements = r.values;
      next = r.next;
    } else if (w[at]?.startsWith('@')) {
      elements = sets.get(w[at]!.slice(1)) ?? null;
      next = at + 1;
    }
    if (!elements) return { target: null, alts: null, next };
    const alts: { matches: Match[]; target: Target }[] = [];
    for (const e of elements) {
      const m = selectorMatch(sel, e.key[0]!, false);
      const r = rangeOf((e.value ?? []).join(' '));
      if (m && r) alts.push({ matches: m, target: mk([r]) });
    }
    return { target: null, alts, next };
  }
  const v = w[j];
  const r = v === undefined ? null : rangeOf(pair ? `${v}${w[j + 1] === '.' ? `:${w[j + 2]}` : ''}` : v);
  const next = pair && w[j + 1] === '.' ? j + 3 : j + 1;
  if (!r) return { target: null, alts: null, next };
  return { target: mk([r]), alts: null, next };
}

/** The elements of the `{ … }` opening at `open` (an anonymous set or map), and the index after its `}`. */
function braceElements(w: readonly string[], open: number): { values: Element[]; next: number } {
  let j = open + 1;
  const inner: string[] = [];
  let depth = 1;
  for (; j < w.length; j++) {
    if (w[j] === '{') depth++;
    if (w[j] === '}' && --depth === 0) break;
    inner.push(w[j]!);
  }
  return { values: elementsOf(inner), next: j + 1 };
}

function verdictTarget(words: readonly string[], chainName: (n: string) => string): Target | null {
  const [v, arg] = words;
  if (v === 'accept') return { kind: 'ACCEPT' };
  if (v === 'drop') return { kind: 'DROP' };
  if (v === 'return') return { kind: 'RETURN' };
  if ((v === 'jump' || v === 'goto') && arg) return { kind: v, chain: chainName(arg) };
  return null;
}

function readRule(w: readonly string[], sets: ReadonlyMap<string, Element[]>, chainName: (n: string) => string): Reading {
  const r: Reading = { alts: [[]], target: { kind: 'none' }, pre: [], counters: null, vmap: null };
  // A statement after one that lets the packet go on (a mark, a rewrite, notrack, log) keeps that one as a prelude.
  const put = (t: Target): void => {
    if (r.target.kind !== 'none' && r.target.kind !== 'LOG' && continues(r.target)) r.pre.push(r.target);
    r.target = t;
  };
  const and = (ms: Match[]): void => {
    for (const a of r.alts) a.push(...ms);
  };
  const or = (options: Match[][]): void => {
    if (r.alts.length * options.length > MAX_EXPANSION) {
      and([unknown(`a set of ${options.length} elements`)]);
      return;
    }
    r.alts = r.alts.flatMap((a) => options.map((o) => [...a, ...o]));
  };
  let i = 0;
  while (i < w.length) {
    const word = w[i]!;
    // A verdict map: the selectors before `vmap` make the key.
    const vm = w.indexOf('vmap', i);
    if (vm > i && !w.slice(i, vm).some((x) => STATEMENTS.has(x))) {
      const keyWords = w.slice(i, vm);
      const sels = splitConcat(keyWords);
      let elements: Element[] | null = null;
      let next = w.length;
      if (w[vm + 1] === '{') {
        const x = braceElements(w, vm + 1);
        elements = x.values;
        next = x.next;
      } else if (w[vm + 1]?.startsWith('@')) {
        elements = sets.get(w[vm + 1]!.slice(1)) ?? null;
        next = vm + 2;
      }
      const known = sels.every((s) => selectorAt(s.split(' '), 0) === s);
      if (!elements || !known) {
        and([unknown(w.slice(i, next).join(' '))]);
        i = next;
        continue;
      }
      r.vmap = [];
      for (const e of elements) {
        const ms: Match[] = [];
        let ok = e.key.length === sels.length;
        sels.forEach((s, k) => {
          const m = ok ? selectorMatch(s, e.key[k]!, false) : null;
          if (m) ms.push(...m);
          else ok = false;
        });
        const t = verdictTarget(e.value ?? [], chainName);
        if (ok && t) r.vmap.push({ matches: ms, target: t });
      }
      i = next;
      continue;
    }
    const sel = selectorAt(w, i);
    if (sel) {
      let j = i + sel.split(' ').length;
      if (w[j] === 'set') {
        // A stateless rewrite: `ip daddr set A`, `tcp dport set P` (Kube-OVN's stateless NAT, nft's own NAT without conntrack).
        const field = /(saddr|daddr|sport|dport)$/.exec(sel)?.[1] as 'saddr' | 'daddr' | 'sport' | 'dport' | undefined;
        const v = w[j + 1] ?? '';
        const value = field === 'saddr' || field === 'daddr' ? parseIpv4(v) : /^\d+$/.test(v) ? Number(v) : -1;
        put(field && value >= 0 ? { kind: 'SET', field, value } : { kind: 'unknown', name: `${sel} set`, args: [v] });
        i = j + 2;
        continue;
      }
      let negate = false;
      if (w[j] === '!=') {
        negate = true;
        j++;
      } else if (w[j] === '==' || w[j] === 'eq') j++;
      const { values: given, next } = valuesAt(w, j, sets);
      // An address range (`10.0.0.1-10.0.0.9`, also in an interval set) is the prefixes that cover it.
      const values = given && /(saddr|daddr)$/.test(sel) ? given.flatMap((v) => rangePrefixes(v) ?? [v]) : given;
      // A set of conntrack states is one match on any of them, as `--ctstate A,B`.
      const per = (sel === 'ct state' && values ? [values.join(',')] : values)?.map((v) => selectorMatch(sel, v, negate)) ?? null;
      if (!per || per.some((m) => m === null)) and([unknown(w.slice(i, next).join(' '))]);
      else if (negate || per.length === 1) and(per.flatMap((m) => m!));
      else or(per.map((m) => m!));
      i = next;
      continue;
    }
    switch (word) {
      case 'counter': {
        const p = w[i + 1] === 'packets' ? Number(w[i + 2]) : NaN;
        const b = w[i + 3] === 'bytes' ? Number(w[i + 4]) : NaN;
        if (Number.isFinite(p) && Number.isFinite(b)) {
          r.counters = { packets: p, bytes: b };
          i += 5;
        } else i++;
        continue;
      }
      case 'accept':
      case 'drop':
      case 'return':
      case 'jump':
      case 'goto': {
        const t = verdictTarget(w.slice(i, i + 2), chainName);
        if (t) put(t);
        i += word === 'jump' || word === 'goto' ? 2 : 1;
        continue;
      }
      case 'continue':
        i++;
        continue;
      case 'comment':
        // comment "…": a note, not a match.
        i += 2;
        continue;
      case 'reject': {
        let rejectWith = 'icmp-port-unreachable';
        if (w[i + 1] === 'with') {
          // reject with tcp reset | icmp[x] [type] NAME (older nft prints `type`, newer leaves it out).
          const name = w[i + 3] === 'type' ? w[i + 4] : w[i + 3];
          if (w[i + 2] === 'tcp' && w[i + 3] === 'reset') rejectWith = 'tcp-reset';
          else if (name) rejectWith = REJECT_NAMES[name] ?? 'icmp-port-unreachable';
        }
        put({ kind: 'REJECT', rejectWith });
        i = w.length;
        continue;
      }
      case 'dnat':
      case 'snat': {
        const x = natTarget(word === 'dnat' ? 'DNAT' : 'SNAT', w, i + 1, sets);
        if (x.alts) r.vmap = x.alts;
        else put(x.target ?? { kind: 'unknown', name: word, args: w.slice(i + 1) });
        i = w.length;
        continue;
      }
      case 'masquerade':
      case 'redirect': {
        // masquerade|redirect [to :PORT[-PORT]] [random] [fully-random] [persistent]
        const rest = w.slice(i + 1);
        const to = rest.indexOf('to');
        const range = to >= 0 ? natRange(rest[to + 1] ?? '') : null;
        const ports = range && range.portLo ? { lo: range.portLo, hi: range.portHi } : null;
        put(word === 'redirect' ? { kind: 'REDIRECT', ports } : { kind: 'MASQUERADE', ports, random: rest.includes('random'), randomFully: rest.includes('fully-random') });
        i = w.length;
        continue;
      }
      case 'notrack':
        put({ kind: 'NOTRACK' });
        i++;
        continue;
      case 'log': {
        // log [prefix "…"] [level x] [flags …] [group n]: its arguments run to the next statement.
        const j = argsEnd(w, i + 1);
        if (r.target.kind === 'none') r.target = { kind: 'LOG', args: w.slice(i + 1, j) };
        i = j;
        continue;
      }
      case 'limit': {
        const j = argsEnd(w, i + 1);
        and([{ kind: 'unknown', module: 'limit', args: w.slice(i + 1, j) }]);
        i = j;
        continue;
      }
    }
    // Marks: `meta mark set V`, `… set meta mark | V` (or & ^), `ct mark set meta mark` and back; the match `meta mark
    // [& M ==|!=] V`. A mark set before a verdict (`meta mark set 1 accept`) is kept as the rule's prelude (put).
    const markWord = word === 'mark' ? i : (word === 'meta' || word === 'ct') && w[i + 1] === 'mark' ? i + 1 : -1;
    if (markWord >= 0) {
      const ct = word === 'ct';
      if (w[markWord + 1] === 'set') {
        const j = argsEnd(w, markWord + 2);
        put(markTarget(ct, w.slice(markWord + 2, j)));
        i = j;
        continue;
      }
      const m = markMatch(ct, w, markWord + 1);
      if (m) {
        and([m.match]);
        i = m.next;
        continue;
      }
    }
    // IPv6 only (`ip6 daddr …`, `icmpv6 type …` in an inet table): no IPv4 packet matches.
    if (word === 'ip6' || word === 'icmpv6') {
      const j = argsEnd(w, i + 1, true);
      and([NEVER]);
      i = j;
      continue;
    }
    // fib FLAG[ . FLAG…] RESULT [op] VALUE (a reverse-path or address-type lookup): the address type as -m addrtype;
    // any other lookup not modelled, read whole so that its `iif`/`oif` words are not taken for interface matches.
    if (word === 'fib') {
      let j = i + 1;
      const flags = [w[j]];
      while (w[j + 1] === '.') {
        flags.push(w[j + 2]);
        j += 2;
      }
      const result = w[j + 1];
      j += 2; // the last flag, the result (oif, oifname, type)
      const negate = w[j] === '!=';
      if (w[j] === '!=' || w[j] === '==') j++;
      const { values, next } = valuesAt(w, j, sets);
      and([fibType(flags, result, values, negate) ?? unknown(w.slice(i, next).join(' '))]);
      i = next;
      continue;
    }
    // Anything else: an expression natlens does not model (numgen, meta mark, tcp flags, …) up to the next known word.
    const j = argsEnd(w, i + 1, true);
    // A lone unmodelled word before `vmap` is part of the key, handled above on the next turn only when every selector is known.
    and([unknown(w.slice(i, j).join(' '))]);
    i = j;
  }
  return r;
}

/** The address types `fib … type` compares with (nft's names), as `-m addrtype` names them. */
const FIB_TYPES = new Set(['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit']);

/**
 * `fib saddr|daddr [. iif|oif] type [!=] T` — the address type a route lookup gives (iptables-nft's form of `-m
 * addrtype`, Docker's `fib daddr type local`), as an addrtype match; null for the other lookups (`oif`, `mark`…).
 */
function fibType(flags: readonly (string | undefined)[], result: string | undefined, values: readonly string[] | null, negate: boolean): Match | null {
  if (result !== 'type' || !values?.length || !values.every((v) => FIB_TYPES.has(v))) return null;
  const addr = flags.filter((f) => f === 'saddr' || f === 'daddr');
  const iface = flags.filter((f) => f === 'iif' || f === 'oif');
  if (addr.length !== 1 || addr.length + iface.length !== flags.length || iface.length > 1) return null;
  const types = values.map((v) => v.toUpperCase());
  const src = addr[0] === 'saddr';
  return {
    kind: 'addrtype',
    ...(src ? { srcType: types } : { dstType: types }),
    negateSrc: src && negate,
    negateDst: !src && negate,
    limitIfaceIn: iface[0] === 'iif',
    limitIfaceOut: iface[0] === 'oif',
  };
}

/**
 * Where the words from `from` (a statement's arguments, an expression not modelled) end: at the next statement or
 * selector — or, for an expression, at `vmap`, whose key it may be.
 */
function argsEnd(w: readonly string[], from: number, expression = false): number {
  let j = from;
  while (j < w.length && !STATEMENTS.has(w[j]!) && !selectorAt(w, j) && !(expression && w[j] === 'vmap')) j++;
  return j;
}

/** Statements after which the packet goes on through the rule (and the chain). */
function continues(t: Target): boolean {
  return t.kind === 'MARK' || t.kind === 'CONNMARK' || t.kind === 'SET' || t.kind === 'NOTRACK' || t.kind === 'LOG' || t.kind === 'none';
}

function markValue(v: string | undefined): number | null {
  if (v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) return null;
  return Number(v) >>> 0;
}

/** What `meta mark set …` / `ct mark set …` does, as the MARK/CONNMARK target would. */
function markTarget(ct: boolean, expr: readonly string[]): Target {
  const v = markValue(expr[0]);
  const kind = ct ? 'CONNMARK' : 'MARK';
  if (expr.length === 1 && v !== null) return { kind, args: ['--set-xmark', `0x${v.toString(16)}/0xffffffff`] };
  // `meta mark set meta mark | 0x1`, or as iptables-nft's listing prints it, `meta mark set mark or 0x1`.
  const self = expr[0] === 'meta' && expr[1] === 'mark' ? 2 : expr[0] === 'mark' ? 1 : 0;
  if (self > 0 && expr.length === self + 2 && !ct) {
    const x = markValue(expr[self + 1]);
    const op = { '|': '--or-mark', or: '--or-mark', '&': '--and-mark', and: '--and-mark', '^': '--xor-mark', xor: '--xor-mark' }[expr[self]!];
    if (x !== null && op) return { kind: 'MARK', args: [op, `0x${x.toString(16)}`] };
  }
  if (expr.join(' ') === 'meta mark' && ct) return { kind: 'CONNMARK', args: ['--save-mark'] };
  if (expr.join(' ') === 'ct mark' && !ct) return { kind: 'CONNMARK', args: ['--restore-mark'] };
  return { kind: 'unknown', name: `${ct ? 'ct' : 'meta'} mark set`, args: [...expr] };
}

/** `[& M] [==|!=] V` after `meta mark` / `ct mark`, as `-m mark --mark V/M`; null when it is something else. */
function markMatch(ct: boolean, w: readonly string[], i: number): { match: Match; next: number } | null {
  let j = i;
  let mask = 0xffffffff;
  if (w[j] === '&' || w[j] === 'and') {
    const m = markValue(w[j + 1]);
    if (m === null) return null;
    mask = m;
    j += 2;
  }
  let negate = false;
  if (w[j] === '!=' || w[j] === '==' || w[j] === 'eq' || w[j] === 'ne') {
    negate = w[j] === '!=' || w[j] === 'ne';
    j++;
  }
  const value = markValue(w[j]);
  if (value === null) return null;
  return { match: { kind: ct ? 'connmark' : 'mark', value, mask, negate }, next: j + 1 };
}

/** The nftables tables iptables-nft makes for iptables' rules (shown by iptables-nft-save too). */
const IPTABLES_NFT_TABLES = new Set(['raw', 'mangle', 'nat', 'filter', 'security']);

export interface NftParseOptions {
  /**
   * The snapshot also holds iptables rules: iptables-nft's own tables are read from those, not twice — every one
   * (true), or the tables named (an iptables listing of some tables: `iptables -t nat -L`, `iptables-save -t nat`).
   */
  readonly iptablesGiven: boolean | readonly string[];
}

export function parseNftRuleset(text: string, file: string, options: NftParseOptions): { ruleset: NftRuleset; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const baseChains: NftBaseChain[] = [];
  const skippedTables: NftRuleset['skippedTables'][number][] = [];
  const iptablesTables: string[] = [];
  for (const t of readTables(text, file, warnings)) {
    if (t.family !== 'ip' && t.family !== 'inet') {
      skippedTables.push({ name: `${t.family} ${t.name}`, why: `family ${t.family} does not see IPv4 routing`, source: { file, line: t.line } });
      continue;
    }
    if (t.family === 'ip' && IPTABLES_NFT_TABLES.has(t.name) && t.chains.some((c) => c.hook !== null && c.name === c.name.toUpperCase())) {
      if (options.iptablesGiven === true || (Array.isArray(options.iptablesGiven) && options.iptablesGiven.includes(t.name))) {
        skippedTables.push({ name: `${t.family} ${t.name}`, why: "iptables-nft's own table: read from the iptables rules given", source: { file, line: t.line } });
        continue;
      }
      iptablesTables.push(t.name);
    }
    const iptablesTable = iptablesTables.includes(t.name) && t.family === 'ip' ? (t.name as TableName) : null;
    const full = (n: string): string => `${t.family} ${t.name} ${n}`;
    const readings = new Map(t.chains.map((c) => [c.name, c.rules.map((raw) => readRule(raw.toks, t.sets, full))] as const));
    // A chain's rules are told as the table of the base chain that reaches it first (nat for a type nat chain's
    // jumps, filter for a forward filter's…); a chain nothing reaches, as filter.
    const stageBy = new Map<string, TableName>();
    for (const c of t.chains) {
      const hook = c.hook ? HOOKS[c.hook] : undefined;
      if (c.type === null || hook === undefined || c.priority === null) continue;
      const queue = [full(c.name)];
      const stage = stageOf(c.type, c.priority);
      while (queue.length) {
        const name = queue.shift()!;
        if (stageBy.has(name)) continue;
        stageBy.set(name, stage);
        const rs = readings.get(name.slice(full('').length)) ?? [];
        for (const r of rs) for (const tg of [r.target, ...(r.vmap ?? []).map((e) => e.target)]) if (tg.kind === 'jump' || tg.kind === 'goto') queue.push(tg.chain);
      }
    }
    const chains = new Map<string, Chain>();
    const bases: { raw: RawChain; chain: Chain }[] = [];
    for (const c of t.chains) {
      const hook = c.hook ? HOOKS[c.hook] : undefined;
      const isBase = c.type !== null && hook !== undefined && c.priority !== null;
      const stage = stageBy.get(full(c.name)) ?? 'filter';
      const rules: Rule[] = [];
      readings.get(c.name)!.forEach((r, k) => {
        const raw = c.rules[k]!;
        const base = { table: stage, chain: full(c.name), index: k + 1, counters: r.counters, source: { file, line: raw.line }, text: raw.text };
        const iptables = iptablesTable ? { iptables: { table: iptablesTable, chain: c.name, spec: iptablesSpec(r, c.name, full('')) } } : {};
        const add = (matches: Match[], target: Target): void => {
          rules.push({ ...base, matches, target, unsure: [], ...(r.pre.length ? { pre: r.pre } : {}), ...iptables });
        };
        if (r.vmap) {
          for (const alt of r.alts) for (const e of r.vmap) add([...alt, ...e.matches], e.target);
        } else {
          for (const alt of r.alts) add(alt, r.target);
        }
      });
      const chain: Chain = { name: full(c.name), builtin: isBase, policy: isBase ? (c.policy ?? 'ACCEPT') : null, policyCounters: null, rules, source: { file, line: c.line } };
      chains.set(chain.name, chain);
      if (isBase) bases.push({ raw: c, chain });
      else if (c.hook && !hook) skippedTables.push({ name: full(c.name), why: `hook ${c.hook} is not on the IPv4 forwarding path`, source: { file, line: c.line } });
    }
    for (const b of bases) {
      const type = b.raw.type === 'nat' ? 'nat' : b.raw.type === 'route' ? 'route' : 'filter';
      baseChains.push({ family: t.family, table: t.name, type, hook: HOOKS[b.raw.hook!]!, priority: b.raw.priority!, stage: stageOf(type, b.raw.priority!), chain: b.chain, chains });
    }
  }
  return { ruleset: { file, baseChains, iptablesTables, skippedTables }, warnings };
}
