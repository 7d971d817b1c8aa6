/**
 * `ip rule` text and `ip -j rule` JSON → policy routing rules.
 *
 *   0:	from all lookup local
 *   32764:	from all iif eth0 lookup 100
 *   1000:	not from 10.0.0.0/24 to 8.8.8.8 fwmark 0x1/0xff iif eth0 [detached] lookup 200 suppress_prefixlength 0 proto static
 *   1002:	from all goto 32766
 *   1003:	from all blackhole
 *
 * JSON: {"priority":32764,"src":"all","iif":"eth0","table":"100"}, {"priority":1000,"not":null,"src":"10.0.0.0",
 * "srclen":24,"dst":"8.8.8.8","fwmark":"0x1","fwmask":"0xff","table":"200","suppress_prefixlen":0},
 * {"priority":1002,"src":"all","action":"goto","target":32766}, {"priority":1003,"src":"all","action":"blackhole"}.
 */
import { parseCidr4, type Cidr4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { PolicyAction, PolicyRule } from '../model/host.js';
import type { PortRange } from '../model/ruleset.js';
import { num, parseJsonArray, str } from './json-lines.js';
import { protoNumber } from './protocols.js';
import { parsePortSpan } from './rule-options.js';

/** A rule line of `ip rule` (used by the sniffer too): a priority, then the selectors, starting with `from`. */
export const RULE_LINE_RE = /^\d+:\s+(?:not\s+)?from\s+\S+/;

/** Selectors that take a value, and are not modelled. */
const UNMODELLED_WITH_VALUE = new Set(['tos', 'dsfield', 'uidrange', 'realms', 'tun_id', 'protocol', 'flowlabel', 'dscp']);

function hexOrDec(s: string | undefined): number | null {
  if (s === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(s)) return null;
  const n = Number(s);
  return n >= 0 && n <= 0xffffffff ? n >>> 0 : null;
}

function fwmarkOf(value: string | undefined, mask: string | undefined): PolicyRule['fwmark'] {
  const v = hexOrDec(value);
  if (v === null) return null;
  const m = mask === undefined ? 0xffffffff : hexOrDec(mask);
  return m === null ? null : { value: v, mask: m };
}

/** `all` or an address with an optional prefix; null for all; undefined when unreadable; 'v6' for IPv6. */
function selector(s: string): Cidr4 | null | undefined | 'v6' {
  if (s === 'all' || s === '0/0' || s === '0.0.0.0/0' || s === 'default') return null;
  if (s.includes(':')) return 'v6';
  return parseCidr4(s) ?? undefined;
}

export function parseIpRule(text: string, file: string): { rules: PolicyRule[]; warnings: InputWarning[] } {
  const result = text.trimStart().startsWith('[') ? parseJson(text, file) : parseText(text, file);
  result.rules.sort((a, b) => a.priority - b.priority);
  return result;
}

function parseText(text: string, file: string): { rules: PolicyRule[]; warnings: InputWarning[] } {
  const rules: PolicyRule[] = [];
  const warnings: InputWarning[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const t = lines[k]!.replace(/\r$/, '').trim();
    if (t === '') continue;
    const m = /^(\d+):\s+(.*)$/.exec(t);
    if (!m || !RULE_LINE_RE.test(t)) {
      warnings.push({ code: 'parse', file, line: k + 1, message: `not an ip rule line: ${t.slice(0, 80)}` });
      continue;
    }
    const words = m[2]!.split(/\s+/);
    let i = 0;
    let not = false;
    let from: Cidr4 | null = null;
    let to: Cidr4 | null = null;
    let iif: string | null = null;
    let oif: string | null = null;
    let fwmark: PolicyRule['fwmark'] = null;
    let action: PolicyAction | null = null;
    let table: string | null = null;
    let gotoTarget: number | null = null;
    let suppress: number | null = null;
    let ipproto: number | null = null;
    let sport: PortRange | null = null;
    let dport: PortRange | null = null;
    let v6 = false;
    const unmodelled: string[] = [];
    let bad: string | null = null;
    while (i < words.length && bad === null) {
      const w = words[i++]!;
      const value = words[i];
      switch (w) {
        case 'not':
          not = true;
          break;
        case 'from':
        case 'to': {
          i++;
          const c = selector(value ?? '');
          if (c === 'v6') v6 = true;
          else if (c === undefined) bad = `cannot read "${w} ${value ?? ''}"`;
          else if (w === 'from') from = c;
          else to = c;
          break;
        }
        case 'iif':
        case 'oif':
          i++;
          if (w === 'iif') iif = value ?? null;
          else oif = value ?? null;
          break;
        case '[detached]':
          // The interface is gone: the kernel keeps the rule, and it matches nothing.
          unmodelled.push('[detached]');
          break;
        case 'fwmark': {
          i++;
          const [v, mask] = (value ?? '').split('/');
          fwmark = fwmarkOf(v, mask);
          if (fwmark === null) bad = `cannot read "fwmark ${value ?? ''}"`;
          break;
        }
        case 'lookup':
        case 'table':
          i++;
          action = 'lookup';
          table = value ?? null;
          break;
        case 'goto':
          i++;
          action = 'goto';
          gotoTarget = hexOrDec(value);
          break;
        case 'blackhole':
        case 'unreachable':
        case 'prohibit':
        case 'nop':
          action = w;
          break;
        case 'suppress_prefixlength':
          i++;
          suppress = hexOrDec(value);
          break;
        case 'ipproto': {
          i++;
          // iproute2 prints the protocol's name, or `ipproto-N` for one /etc/protocols does not name.
          const n = protoNumber((value ?? '').replace(/^ipproto-/, ''));
          if (n < 0) bad = `cannot read "ipproto ${value ?? ''}"`;
          else ipproto = n;
          break;
        }
        case 'sport':
        case 'dport': {
          i++;
          const r = parsePortSpan(value ?? '');
          if (r === null) bad = `cannot read "${w} ${value ?? ''}"`;
          else if (w === 'sport') sport = r;
          else dport = r;
          break;
        }
        case 'proto':
        case 'suppress_ifgroup':
        case 'realms':
          // Who made the rule, and accounting: nothing a lookup reads (realms is accounting too).
          if (w === 'suppress_ifgroup') unmodelled.push(`${w} ${value ?? ''}`);
          i++;
          break;
        case 'l3mdev':
          unmodelled.push(w);
          break;
        default:
          if (UNMODELLED_WITH_VALUE.has(w)) {
            unmodelled.push(`${w} ${value ?? ''}`);
            i++;
          } else unmodelled.push(w);
      }
    }
    if (bad !== null) {
      warnings.push({ code: 'parse', file, line: k + 1, message: `${bad}: rule left out` });
      continue;
    }
    rules.push({
      family: v6 ? 6 : 4,
      priority: Number(m[1]),
      not,
      from,
      to,
      iif,
      oif,
      fwmark,
      ipproto,
      sport,
      dport,
      action: action ?? 'lookup',
      table: action === null ? 'main' : table,
      goto: gotoTarget,
      suppressPrefixLength: suppress,
      unmodelled,
      text: t,
      source: { file, line: k + 1 },
    });
  }
  return { rules, warnings };
}

function parseJson(text: string, file: string): { rules: PolicyRule[]; warnings: InputWarning[] } {
  const arr = parseJsonArray(text);
  if (!arr) return { rules: [], warnings: [{ code: 'parse', file, line: 1, message: 'not a JSON array (ip -j rule)' }] };
  const rules: PolicyRule[] = [];
  const warnings: InputWarning[] = [];
  arr.items.forEach((o, k) => {
    const line = arr.lines[k] ?? 1;
    const priority = num(o.priority);
    if (priority === null) {
      warnings.push({ code: 'parse', file, line, message: 'rule without "priority"' });
      return;
    }
    const side = (addr: string | null, len: number | null): Cidr4 | null | undefined | 'v6' => (addr === null ? null : selector(len === null ? addr : `${addr}/${len}`));
    const from = side(str(o.src), num(o.srclen));
    const to = side(str(o.dst), num(o.dstlen));
    if (from === undefined || to === undefined) {
      warnings.push({ code: 'parse', file, line, message: 'cannot read the rule\'s addresses: rule left out' });
      return;
    }
    const actionText = str(o.action);
    const action: PolicyAction = actionText === 'goto' || actionText === 'blackhole' || actionText === 'unreachable' || actionText === 'prohibit' || actionText === 'nop' ? actionText : 'lookup';
    const table = action === 'lookup' ? (str(o.table) ?? (num(o.table) !== null ? String(num(o.table)) : 'main')) : null;
    const fwmarkText = str(o.fwmark) ?? (num(o.fwmark) !== null ? String(num(o.fwmark)) : null);
    const fwmaskText = str(o.fwmask) ?? (num(o.fwmask) !== null ? String(num(o.fwmask)) : undefined);
    const fwmark = fwmarkText === null ? null : fwmarkOf(fwmarkText, fwmaskText);
    const unmodelled: string[] = [];
    for (const key of ['tos', 'dsfield', 'uid_start', 'l3mdev', 'tun_id', 'suppress_ifgroup', 'flowlabel', 'dscp']) {
      if (key in o) unmodelled.push(key);
    }
    const protoText = str(o.ipproto) ?? (num(o.ipproto) !== null ? String(num(o.ipproto)) : null);
    const ipproto = protoText === null ? null : protoNumber(protoText.replace(/^ipproto-/, ''));
    if (ipproto !== null && ipproto < 0) {
      warnings.push({ code: 'parse', file, line, message: `cannot read the rule's ipproto ${JSON.stringify(protoText)}: rule left out` });
      return;
    }
    // A port as one number, a range as its start and end.
    const ports = (p: 'sport' | 'dport'): PortRange | null => {
      const one = num(o[p]);
      if (one !== null) return { lo: one, hi: one };
      const lo = num(o[`${p}_start`]);
      const hi = num(o[`${p}_end`]);
      return lo !== null && hi !== null ? { lo, hi } : null;
    };
    if ('iif_detached' in o || 'oif_detached' in o) unmodelled.push('[detached]');
    const not = 'not' in o;
    const parts = [`${priority}:`, not ? 'not' : null, `from ${str(o.src) ?? 'all'}${num(o.srclen) !== null ? `/${num(o.srclen)}` : ''}`];
    if (str(o.dst)) parts.push(`to ${str(o.dst)}${num(o.dstlen) !== null ? `/${num(o.dstlen)}` : ''}`);
    if (fwmarkText !== null) parts.push(`fwmark ${fwmarkText}${fwmaskText !== undefined ? `/${fwmaskText}` : ''}`);
    if (str(o.iif)) parts.push(`iif ${str(o.iif)}`);
    if (str(o.oif)) parts.push(`oif ${str(o.oif)}`);
    if (protoText !== null) parts.push(`ipproto ${protoText}`);
    for (const p of ['sport', 'dport'] as const) {
      const r = ports(p);
      if (r) parts.push(`${p} ${r.lo === r.hi ? r.lo : `${r.lo}-${r.hi}`}`);
    }
    parts.push(action === 'lookup' ? `lookup ${table}` : action === 'goto' ? `goto ${num(o.target) ?? '?'}` : action);
    if (num(o.suppress_prefixlen) !== null) parts.push(`suppress_prefixlength ${num(o.suppress_prefixlen)}`);
    rules.push({
      family: from === 'v6' || to === 'v6' ? 6 : 4,
      priority,
      not,
      from: from === 'v6' ? null : from,
      to: to === 'v6' ? null : to,
      iif: str(o.iif),
      oif: str(o.oif),
      fwmark,
      ipproto,
      sport: ports('sport'),
      dport: ports('dport'),
      action,
      table,
      goto: action === 'goto' ? num(o.target) : null,
      suppressPrefixLength: num(o.suppress_prefixlen),
      unmodelled,
      text: parts.filter((p): p is string => p !== null).join(' '),
      source: { file, line },
    });
  });
  return { rules, warnings };
}
