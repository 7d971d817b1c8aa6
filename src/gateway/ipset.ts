/**
 * `ipset save` and `ipset list` → the sets iptables' `-m set --match-set` rules look packets up in.
 *
 *   ipset save:   create blocked hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x…
 *                 add blocked 198.51.100.0/24
 *                 add blocked 198.51.100.7 nomatch
 *   ipset list:   Name: blocked
 *                 Type: hash:net
 *                 Header: family inet hashsize 1024 maxelem 65536 …
 *                 Members:
 *                 198.51.100.0/24
 *
 * A member natlens cannot read, or a listing without its members (`ipset list -t`), leaves the set incomplete: a
 * packet not found in it may still be there, and the rules that look it up stay "may match".
 */
import { parseIpv4, prefixMask } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { IpSet, IpSetDim, IpSetMember, IpSetValue } from '../model/ipset.js';
import type { SourceRef } from '../model/source.js';
import { icmpType, protoNumber } from './protocols.js';
import { parsePortSpan } from './rule-options.js';

/** `create NAME TYPE …` of `ipset save`. */
export const IPSET_CREATE_RE = /^create \S+ (?:hash|bitmap|list):[a-z,]+(?:[ \t]|$)/m;
/** `Type: hash:net` of `ipset list`. */
export const IPSET_TYPE_RE = /^Type: (?:hash|bitmap|list):[a-z,]+[ \t]*$/m;

const DIM_NAMES: ReadonlySet<string> = new Set(['ip', 'net', 'port', 'mark', 'iface', 'mac', 'set']);

/** The dimensions a type's name lists (hash:ip,port,net → ip, port, net); null for a type natlens does not know. */
export function ipsetDims(type: string): IpSetDim[] | null {
  const m = /^(hash|bitmap|list):([a-z,]+)$/.exec(type);
  if (!m) return null;
  const dims = m[2]!.split(',');
  if (!dims.every((d) => DIM_NAMES.has(d))) return null;
  return dims as IpSetDim[];
}

interface Draft {
  name: string;
  type: string;
  dims: IpSetDim[] | null;
  family: 'inet' | 'inet6' | null;
  netmask: number | null;
  members: IpSetMember[];
  complete: boolean;
  /** From `ipset list`: whether its `Members:` line came (`ipset list -t` prints none); null from `ipset save`. */
  listedMembers: boolean | null;
  source: SourceRef;
}

export function parseIpset(text: string, file: string): { sets: IpSet[]; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const drafts = new Map<string, Draft>();
  const lines = text.split('\n');
  /** The set a listing's `Members:` block belongs to, while in it. */
  let listing: Draft | null = null;
  let inMembers = false;

  const header = (d: Draft, words: readonly string[], line: number): void => {
    for (let k = 0; k < words.length; k++) {
      if (words[k] === 'family' && (words[k + 1] === 'inet' || words[k + 1] === 'inet6')) d.family = words[k + 1] as 'inet' | 'inet6';
      if (words[k] === 'netmask') {
        const n = Number(words[k + 1]);
        if (Number.isInteger(n) && n >= 1 && n <= 32) d.netmask = n;
        else if (d.family !== 'inet6') warnings.push({ code: 'parse', file, line, message: `set ${d.name}: cannot read netmask ${JSON.stringify(words[k + 1] ?? '')}` });
      }
    }
  };
  const start = (name: string, type: string, line: number): Draft => {
    const dims = ipsetDims(type);
    if (!dims) warnings.push({ code: 'parse', file, line, message: `set ${name}: type ${type} is not one natlens knows; rules that look it up may match` });
    const d: Draft = { name, type, dims, family: type.startsWith('hash:') ? 'inet' : null, netmask: null, members: [], complete: dims !== null, listedMembers: null, source: { file, line } };
    drafts.set(name, d);
    return d;
  };
  /** A set `ipset list` names (`Name:`): its type and members come on the next lines. */
  const named = (name: string, line: number): Draft => {
    const d: Draft = { name, type: '', dims: null, family: null, netmask: null, members: [], complete: false, listedMembers: false, source: { file, line } };
    drafts.set(name, d);
    return d;
  };
  const add = (d: Draft, words: readonly string[], line: number): void => {
    if (!d.dims) return;
    const element = words[0] ?? '';
    let values = d.family === 'inet6' ? null : readElement(element, d.dims);
    // A port written without its protocol is TCP's in a hash set (ipset's default); bitmap:port holds ports alone.
    if (values && d.type.startsWith('hash:')) values = values.map((v) => (v.kind === 'port' && v.proto === 0 ? { ...v, proto: 6 } : v));
    if (!values) {
      // An IPv6 set's members never meet an IPv4 packet; any other unreadable member leaves the set open.
      if (d.family !== 'inet6') {
        d.complete = false;
        warnings.push({ code: 'parse', file, line, message: `set ${d.name}: cannot read member ${JSON.stringify(element)} as ${d.type}; the rules that look the set up may match` });
      }
      return;
    }
    d.members.push({ values, nomatch: words.includes('nomatch'), text: words.join(' '), source: { file, line } });
  };

  lines.forEach((raw, k) => {
    const line = k + 1;
    const t = raw.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#')) {
      if (t === '') inMembers = false;
      return;
    }
    const words = t.split(/\s+/);
    // ipset save (also what `ipset restore` reads).
    if (words[0] === 'create' && words.length >= 3) {
      listing = null;
      inMembers = false;
      header(start(words[1]!, words[2]!, line), words.slice(3), line);
      return;
    }
    if (words[0] === 'add' && words.length >= 3 && !inMembers) {
      const d = drafts.get(words[1]!);
      if (!d) warnings.push({ code: 'parse', file, line, message: `add to set ${words[1]} before its create line: left out` });
      else add(d, words.slice(2), line);
      return;
    }
    // ipset list: the next set's Name: ends a members block even without the blank line between them.
    if (inMembers && /^Name:\s/.test(t)) inMembers = false;
    const field = /^([A-Z][A-Za-z ]*):\s*(.*)$/.exec(t);
    if (field && !inMembers) {
      const [, key, value] = field;
      if (key === 'Name') listing = named(value!, line);
      else if (listing && key === 'Type') {
        const d = start(listing.name, value!, listing.source.line);
        listing = d;
        // Complete once its Members: line comes (`ipset list -t` prints none).
        d.complete = false;
        d.listedMembers = false;
      } else if (listing && key === 'Header') header(listing, value!.split(/\s+/), line);
      else if (listing && key === 'Members') {
        inMembers = true;
        listing.complete = listing.dims !== null;
        listing.listedMembers = true;
      }
      return;
    }
    if (inMembers && listing) {
      add(listing, words, line);
      return;
    }
    warnings.push({ code: 'parse', file, line, message: `not an ipset save or ipset list line: ${t.slice(0, 80)}` });
  });

  const sets: IpSet[] = [];
  for (const d of drafts.values()) {
    if (!d.type) {
      warnings.push({ code: 'parse', file, line: d.source.line, message: `set ${d.name}: the listing does not say its type; left out` });
      continue;
    }
    if (d.dims && d.listedMembers === false) {
      warnings.push({ code: 'parse', file, line: d.source.line, message: `set ${d.name} is listed without its members (ipset list -t?): give \`ipset save\` or \`ipset list\` to know what it holds` });
    }
    sets.push({ name: d.name, type: d.type, dims: d.dims ?? [], family: d.family, netmask: d.netmask, members: d.members, complete: d.complete, source: d.source });
  }
  return { sets, warnings };
}

/** A member's element (`10.0.0.0/24`, `10.0.0.1,tcp:80`, `10.0.0.0/24,eth0`) by the set's dimensions; null when unreadable. */
function readElement(element: string, dims: readonly IpSetDim[]): IpSetValue[] | null {
  const parts = element.split(',');
  if (parts.length !== dims.length) return null;
  const out: IpSetValue[] = [];
  for (let k = 0; k < dims.length; k++) {
    const v = readValue(parts[k]!, dims[k]!);
    if (!v) return null;
    out.push(v);
  }
  return out;
}

function readValue(s: string, dim: IpSetDim): IpSetValue | null {
  switch (dim) {
    case 'ip':
    case 'net':
      return readAddr(s);
    case 'port':
      return readPort(s);
    case 'mark': {
      const n = Number(s);
      return Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? { kind: 'mark', value: n >>> 0 } : null;
    }
    case 'iface':
      return s.startsWith('physdev:') ? { kind: 'iface', name: s.slice(8), physdev: true } : s ? { kind: 'iface', name: s, physdev: false } : null;
    case 'mac':
      return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s) ? { kind: 'mac', text: s.toLowerCase() } : null;
    case 'set':
      return s ? { kind: 'set', name: s } : null;
  }
}

/** `10.0.0.1`, `10.0.0.0/24`, `10.0.0.1-10.0.0.9`. */
function readAddr(s: string): IpSetValue | null {
  const range = /^([\d.]+)-([\d.]+)$/.exec(s);
  if (range) {
    const lo = parseIpv4(range[1]!);
    const hi = parseIpv4(range[2]!);
    return lo >= 0 && hi >= lo ? { kind: 'addr', lo, hi, prefix: lo === hi ? 32 : 0 } : null;
  }
  const slash = s.indexOf('/');
  const a = parseIpv4(slash < 0 ? s : s.slice(0, slash));
  const prefix = slash < 0 ? 32 : Number(s.slice(slash + 1));
  if (a < 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32 || (slash >= 0 && !/^\d{1,2}$/.test(s.slice(slash + 1)))) return null;
  const lo = (a & prefixMask(prefix)) >>> 0;
  return { kind: 'addr', lo, hi: (lo | ~prefixMask(prefix)) >>> 0, prefix };
}

/** `80`, `tcp:80`, `udp:1000-2000`, `icmp:8/0`, `icmp:echo-request`, `gre:0` (a protocol without ports). */
function readPort(s: string): IpSetValue | null {
  const colon = s.indexOf(':');
  const protoWord = colon < 0 ? '' : s.slice(0, colon);
  const rest = colon < 0 ? s : s.slice(colon + 1);
  const proto = protoWord === '' ? 0 : protoNumber(protoWord);
  if (proto < 0) return null;
  if (proto === 1) {
    const t = icmpType(rest);
    if (!t || t[0] < 0) return null;
    const v = (t[0] << 8) | Math.max(0, t[1]);
    return { kind: 'port', proto, lo: v, hi: v };
  }
  const r = parsePortSpan(rest);
  return r ? { kind: 'port', proto, ...r } : null;
}
