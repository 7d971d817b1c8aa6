/**
 * `ip addr` / `ip link` text and `ip -j addr` JSON (iproute2) → interfaces with flags, MTU, ifindex and addresses.
 *
 *   170: eth0@if169: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
 *       link/ether ce:00:bf:3b:72:9a brd ff:ff:ff:ff:ff:ff link-netns nl20411-sw
 *       inet 203.0.113.72/24 scope global secondary net1
 *       inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0
 * The `@if169` suffix names a veth peer (or `@eth0` a VLAN's parent) and is not part of the name.
 *
 * Also the forms people type when in a hurry: one line per record (`ip -o addr`, `ip -o link`, where `\`
 * stands for the line breaks) and brief (`ip -br addr`, `ip -br link`: name, state, then the addresses or
 * the MAC and flags; no ifindex, MTU or scope).
 */
import { parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { HostInterface, InterfaceAddress } from '../model/host.js';
import { num, parseJsonArray, str, strs } from './json-lines.js';

export const IP_ADDR_HEADER_RE = /^(\d+):\s+(\S+?):\s+<([^>]*)>(.*)$/;
/** `ip -o addr`: `170: eth0    inet 10.0.4.254/24 scope global eth0\       valid_lft forever …`. */
export const IP_ADDR_ONELINE_RE = /^(\d+):\s+(\S+)\s+(inet6?\s.*)$/;
/** `ip -br addr` / `ip -br link`: `eth0@if169   UP   10.0.4.254/24 fe80::…/64` or `eth0@if169  UP  ce:00:…  <BROADCAST,…>`. */
export const IP_ADDR_BRIEF_RE = /^(\S+)\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)(?:\s+(.*))?$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i;

/** Columns after name and state that only `ip -br addr` (addresses) or `ip -br link` (MAC, then flags) print. */
function briefColumns(rest: string): boolean {
  const words = rest.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return true;
  if (MAC_RE.test(words[0]!)) return words.length === 1 || /^<[^>]*>$/.test(words.slice(1).join(' '));
  return words.every((w) => /^[0-9a-f.:]+\/\d+$/i.test(w));
}

/** A line of `ip -o addr` or `ip -br addr` / `ip -br link` (sniff.ts counts them as ip addr lines). */
export function isIpAddrShortLine(t: string): boolean {
  if (IP_ADDR_ONELINE_RE.test(t)) return true;
  const br = IP_ADDR_BRIEF_RE.exec(t);
  return br !== null && briefColumns(br[3] ?? '');
}

interface Draft {
  ifindex: number;
  name: string;
  mtu: number;
  flags: string[];
  operState: string;
  mac: string | null;
  link: string | null;
  addresses: InterfaceAddress[];
  line: number;
}

export function stripPeer(name: string): string {
  const at = name.indexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}

export function parseIpAddr(text: string, file: string): { interfaces: HostInterface[]; warnings: InputWarning[] } {
  if (text.trimStart().startsWith('[')) return parseIpAddrJson(text, file);
  const warnings: InputWarning[] = [];
  const out: Draft[] = [];
  let cur: Draft | null = null;
  /** The record of interface `ifindex`/`name` from an earlier line (one-line and brief forms), or a new one. */
  const draftFor = (ifindex: number, name: string, lineNo: number): Draft => {
    const found = out.find((x) => x.name === name && (x.ifindex === ifindex || ifindex < 0));
    if (found) return found;
    const d: Draft = { ifindex, name, mtu: 0, flags: [], operState: 'UNKNOWN', mac: null, link: null, addresses: [], line: lineNo };
    out.push(d);
    return d;
  };
  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const line = raw.replace(/\r$/, '');
    const t = line.trim();
    if (t === '') return;
    // One-line form: the record's own line breaks are written as backslashes.
    const [head, ...more] = t.split('\\').map((x) => x.trim());
    const one = IP_ADDR_ONELINE_RE.exec(head!);
    if (one && !IP_ADDR_HEADER_RE.test(head!)) {
      detail(draftFor(Number(one[1]), stripPeer(one[2]!), lineNo), one[3]!, lineNo);
      return;
    }
    const h = IP_ADDR_HEADER_RE.exec(head!);
    if (!h) {
      const br = IP_ADDR_BRIEF_RE.exec(t);
      if (br && brief(draftFor(-1, stripPeer(br[1]!), lineNo), br[2]!, br[3] ?? '', lineNo)) return;
    }
    if (h) {
      const rest = h[4]!;
      const mtu = /\bmtu (\d+)/.exec(rest);
      const state = /\bstate (\S+)/.exec(rest);
      cur = {
        ifindex: Number(h[1]),
        name: stripPeer(h[2]!),
        mtu: mtu ? Number(mtu[1]) : 0,
        flags: h[3]! === '' ? [] : h[3]!.split(','),
        operState: state ? state[1]! : 'UNKNOWN',
        mac: null,
        link: null,
        addresses: [],
        line: lineNo,
      };
      if (!mtu) warnings.push({ code: 'parse', file, line: lineNo, message: `no MTU on the line of interface ${cur.name}` });
      out.push(cur);
      for (const m of more) detail(cur, m, lineNo);
      return;
    }
    if (cur === null) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not part of an "ip addr" listing: ${t.slice(0, 80)}` });
      return;
    }
    detail(cur, t, lineNo);
  });

  /** `ip -br` columns after the name and state: addresses (`ip -br addr`) or MAC and flags (`ip -br link`). */
  function brief(d: Draft, state: string, rest: string, lineNo: number): boolean {
    if (!briefColumns(rest)) return false;
    const words = rest.split(/\s+/).filter((w) => w !== '');
    const flags = /<([^>]*)>/.exec(rest);
    d.operState = state;
    if (flags) d.flags = flags[1] === '' ? [] : flags[1]!.split(',');
    for (const w of words) {
      if (MAC_RE.test(w)) d.mac = w.toLowerCase();
      else if (w.includes('/')) detail(d, `${w.includes(':') ? 'inet6' : 'inet'} ${w}`, lineNo);
    }
    return true;
  }

  /** One detail line of a record: `link/…`, `inet …`, `inet6 …` (others carry nothing natlens uses). */
  function detail(d: Draft, t: string, lineNo: number): void {
    const words = t.split(/\s+/);
    if (words[0]!.startsWith('link/')) {
      d.link = words[0]!.slice(5);
      if (words[1] !== undefined && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(words[1])) d.mac = words[1].toLowerCase();
      return;
    }
    if (words[0] === 'inet' || words[0] === 'inet6') {
      const family = words[0] === 'inet' ? 4 : 6;
      // "inet A/P" or point-to-point "inet A peer B/P": the prefix belongs to the peer then, the local address is /32.
      let addrText = words[1] ?? '';
      let prefix = family === 4 ? 32 : 128;
      const slash = addrText.indexOf('/');
      if (slash >= 0) {
        prefix = Number(addrText.slice(slash + 1));
        addrText = addrText.slice(0, slash);
      }
      const scopeAt = words.indexOf('scope');
      const v4 = family === 4 ? parseIpv4(addrText) : -1;
      if (family === 4 && v4 < 0) {
        warnings.push({ code: 'parse', file, line: lineNo, message: `cannot read address "${words[1] ?? ''}"` });
        return;
      }
      d.addresses.push({
        family,
        address: addrText,
        v4,
        prefix,
        secondary: words.includes('secondary') || words.includes('temporary'),
        scope: scopeAt >= 0 ? (words[scopeAt + 1] ?? 'global') : 'global',
        source: { file, line: lineNo },
      });
      return;
    }
    // valid_lft/preferred_lft, altname, and other detail lines carry nothing natlens uses.
  }
  return {
    interfaces: out.map((d) => ({
      ifindex: d.ifindex,
      name: d.name,
      mtu: d.mtu,
      flags: d.flags,
      operState: d.operState,
      mac: d.mac,
      link: d.link,
      addresses: d.addresses,
      source: { file, line: d.line },
    })),
    warnings,
  };
}

function parseIpAddrJson(text: string, file: string): { interfaces: HostInterface[]; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const arr = parseJsonArray(text);
  if (!arr) return { interfaces: [], warnings: [{ code: 'parse', file, line: 1, message: 'not a JSON array (ip -j addr)' }] };
  const interfaces: HostInterface[] = [];
  arr.items.forEach((o, k) => {
    const line = arr.lines[k] ?? 1;
    const name = str(o.ifname);
    // `ip -j addr show` emits `{}` for links filtered out of the dump; they carry nothing.
    if (name === null) return;
    const addresses: InterfaceAddress[] = [];
    for (const a of Array.isArray(o.addr_info) ? (o.addr_info as Record<string, unknown>[]) : []) {
      const fam = str(a.family);
      const local = str(a.local);
      if ((fam !== 'inet' && fam !== 'inet6') || local === null) continue;
      const v4 = fam === 'inet' ? parseIpv4(local) : -1;
      if (fam === 'inet' && v4 < 0) {
        warnings.push({ code: 'parse', file, line, message: `cannot read address "${local}" of ${name}` });
        continue;
      }
      addresses.push({
        family: fam === 'inet' ? 4 : 6,
        address: local,
        v4,
        // With a peer (`address` set), the prefix is the peer's; the local address itself is a host address.
        prefix: str(a.address) !== null ? (fam === 'inet' ? 32 : 128) : (num(a.prefixlen) ?? (fam === 'inet' ? 32 : 128)),
        secondary: a.secondary === true || a.temporary === true,
        scope: str(a.scope) ?? 'global',
        source: { file, line },
      });
    }
    const mac = str(o.address);
    interfaces.push({
      ifindex: num(o.ifindex) ?? 0,
      name: stripPeer(name),
      mtu: num(o.mtu) ?? 0,
      flags: strs(o.flags),
      operState: str(o.operstate) ?? 'UNKNOWN',
      mac: mac !== null && /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(mac) ? mac.toLowerCase() : null,
      link: str(o.link_type),
      addresses,
      source: { file, line },
    });
  });
  return { interfaces, warnings };
}
