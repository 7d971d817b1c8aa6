/**
 * `ip route` / `ip route show table all` text and `ip -j route` JSON → routes.
 *
 *   default via 203.0.113.1 dev net1
 *   10.0.4.0/24 dev eth0 proto kernel scope link src 10.0.4.254
 *   local 10.0.4.254 dev eth0 table local proto kernel scope host src 10.0.4.254
 *   blackhole 10.9.0.0/16 metric 10
 *   10.5.0.0/16 proto static                 (multipath: "nexthop via … dev …" lines follow)
 * A route without "table" is in main (`ip route` shows only main; `table all` omits "table main").
 */
import { parseCidr4, parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { Route, RouteType } from '../model/host.js';
import { num, parseJsonArray, str } from './json-lines.js';

const TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'anycast']);

function routeType(t: string): RouteType {
  switch (t) {
    case 'unicast':
    case 'local':
    case 'broadcast':
    case 'blackhole':
    case 'unreachable':
    case 'prohibit':
    case 'throw':
      return t;
    default:
      return 'other';
  }
}

const ROUTE_TYPE = '(?:unicast|local|broadcast|multicast|blackhole|unreachable|prohibit|throw|nat|anycast)';
const ROUTE_DEST = '(?:default|[0-9a-f.:]+(?:\\/\\d{1,3})?)';
const ROUTE_ATTRS = '\\s+(?:via|dev|proto|scope|src|metric|table|onlink|linkdown|pref|mtu|expires|advmss|rto_min|initcwnd|realm|error|nhid)\\b.*';

/**
 * A route line of `ip route` text (used by the sniffer too). `ip route` never prints a destination alone: a
 * unicast route names a device, a gateway or at least a protocol; the other types (blackhole, unreachable…)
 * are spelled out. So a bare number (a /proc/sys value, `0`) is no route.
 */
export const ROUTE_LINE_RE = new RegExp(`^(?:${ROUTE_TYPE}\\s+${ROUTE_DEST}(?:${ROUTE_ATTRS})?|${ROUTE_DEST}${ROUTE_ATTRS})\\s*$`, 'i');

interface Dst {
  dst: Route['dst'];
  family: 4 | 6;
}

function readDst(s: string): Dst | null {
  if (s === 'default') return { dst: null, family: 4 };
  if (s.includes(':')) return { dst: null, family: 6 };
  const c = parseCidr4(s);
  if (!c) return null;
  return { dst: c.prefix === 0 ? null : c, family: 4 };
}

export function parseIpRoute(text: string, file: string): { routes: Route[]; warnings: InputWarning[] } {
  if (text.trimStart().startsWith('[')) return parseIpRouteJson(text, file);
  const warnings: InputWarning[] = [];
  const routes: Route[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const lineNo = k + 1;
    const t = lines[k]!.replace(/\r$/, '').trim();
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith('nexthop ')) continue; // consumed with its route below
    const w = t.split(/\s+/);
    let i = 0;
    let type: RouteType = 'unicast';
    if (TYPES.has(w[0]!)) {
      type = routeType(w[0]!);
      i++;
    }
    const d = readDst(w[i] ?? '');
    if (!d) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not a route: ${t.slice(0, 80)}` });
      continue;
    }
    // In `ip -6 route` "default" is ::/0.
    const family: 4 | 6 = d.family === 6 || w.some((x, j) => j > i && (w[j - 1] === 'via' || w[j - 1] === 'src') && x.includes(':')) ? 6 : 4;
    i++;
    const opt = (name: string): string | null => {
      const at = w.indexOf(name, i);
      return at >= 0 ? (w[at + 1] ?? null) : null;
    };
    let via = opt('via');
    let dev = opt('dev');
    let text = t;
    // Multipath: the next hops follow on their own lines; the first one is used, the text keeps them all.
    while (k + 1 < lines.length && /^\s*nexthop\s/.test(lines[k + 1]!)) {
      const nh = lines[k + 1]!.trim();
      text += `\n${nh}`;
      const nw = nh.split(/\s+/);
      const nvia = nw.indexOf('via');
      const ndev = nw.indexOf('dev');
      if (via === null && nvia >= 0) via = nw[nvia + 1] ?? null;
      if (dev === null && ndev >= 0) dev = nw[ndev + 1] ?? null;
      k++;
    }
    if (text !== t) warnings.push({ code: 'multipath-route', file, line: lineNo, message: 'multipath route: only its first next hop is simulated' });
    const src = opt('src');
    const metric = opt('metric');
    routes.push({
      table: opt('table') ?? 'main',
      type,
      dst: family === 4 ? d.dst : null,
      family,
      via: via !== null && family === 4 ? nullIfBad(parseIpv4(via)) : null,
      dev,
      prefsrc: src !== null && family === 4 ? nullIfBad(parseIpv4(src)) : null,
      metric: metric !== null && /^\d+$/.test(metric) ? Number(metric) : 0,
      proto: opt('proto'),
      scope: opt('scope'),
      text,
      source: { file, line: lineNo },
    });
  }
  return { routes, warnings };
}

const nullIfBad = (n: number): number | null => (n < 0 ? null : n);

function parseIpRouteJson(text: string, file: string): { routes: Route[]; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const arr = parseJsonArray(text);
  if (!arr) return { routes: [], warnings: [{ code: 'parse', file, line: 1, message: 'not a JSON array (ip -j route)' }] };
  const routes: Route[] = [];
  arr.items.forEach((o, k) => {
    const line = arr.lines[k] ?? 1;
    const dstText = str(o.dst);
    if (dstText === null) {
      warnings.push({ code: 'parse', file, line, message: 'route without "dst"' });
      return;
    }
    const d = readDst(dstText);
    if (!d) {
      warnings.push({ code: 'parse', file, line, message: `cannot read route destination "${dstText}"` });
      return;
    }
    let via = str(o.gateway);
    let dev = str(o.dev);
    const nexthops = Array.isArray(o.nexthops) ? (o.nexthops as Record<string, unknown>[]) : [];
    if (nexthops.length > 0) {
      via ??= str(nexthops[0]!.gateway);
      dev ??= str(nexthops[0]!.dev);
      warnings.push({ code: 'multipath-route', file, line, message: 'multipath route: only its first next hop is simulated' });
    }
    const family: 4 | 6 = d.family === 6 || (via ?? '').includes(':') ? 6 : 4;
    const type = routeType(str(o.type) ?? 'unicast');
    const prefsrc = str(o.prefsrc);
    const parts = [type !== 'unicast' ? str(o.type) : null, dstText, via ? `via ${via}` : null, dev ? `dev ${dev}` : null];
    const table = str(o.table) ?? (typeof o.table === 'number' ? String(o.table) : 'main');
    if (table !== 'main') parts.push(`table ${table}`);
    if (str(o.protocol)) parts.push(`proto ${str(o.protocol)}`);
    if (str(o.scope)) parts.push(`scope ${str(o.scope)}`);
    if (prefsrc) parts.push(`src ${prefsrc}`);
    if (num(o.metric) !== null) parts.push(`metric ${num(o.metric)}`);
    // As `ip route` prints them: linkdown (the interface has no carrier), onlink, dead.
    if (Array.isArray(o.flags)) for (const f of o.flags) if (typeof f === 'string' && /^[a-z]+$/.test(f)) parts.push(f);
    routes.push({
      table,
      type,
      dst: family === 4 ? d.dst : null,
      family,
      via: via !== null && family === 4 ? nullIfBad(parseIpv4(via)) : null,
      dev,
      prefsrc: prefsrc !== null && family === 4 ? nullIfBad(parseIpv4(prefsrc)) : null,
      metric: num(o.metric) ?? 0,
      proto: str(o.protocol),
      scope: str(o.scope),
      text: parts.filter((p): p is string => p !== null).join(' '),
      source: { file, line },
    });
  });
  return { routes, warnings };
}
