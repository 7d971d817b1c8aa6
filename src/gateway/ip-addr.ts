/**
 * `ip addr` / `ip link` text and `ip -j addr` JSON (iproute2) → interfaces with flags, MTU, ifindex and addresses.
 *
 *   170: eth0@if169: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
 *       link/ether ce:00:bf:3b:72:9a brd ff:ff:ff:ff:ff:ff link-netns nl20411-sw
 *       inet 203.0.113.72/24 scope global secondary net1
 *       inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0
 * The `@if169` suffix names a veth peer (or `@eth0` a VLAN's parent) and is not part of the name.
 */
import { parseIpv4 } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import type { HostInterface, InterfaceAddress } from '../model/host.js';
import { num, parseJsonArray, str, strs } from './json-lines.js';

export const IP_ADDR_HEADER_RE = /^(\d+):\s+(\S+?):\s+<([^>]*)>(.*)$/;

interface Draft {
  ifindex: number;
  name: string;
  mtu: number;
  flags: string[];
  operState: string;
  mac: string | null;
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
  text.split('\n').forEach((raw, k) => {
    const lineNo = k + 1;
    const line = raw.replace(/\r$/, '');
    const t = line.trim();
    if (t === '') return;
    const h = IP_ADDR_HEADER_RE.exec(t);
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
        addresses: [],
        line: lineNo,
      };
      if (!mtu) warnings.push({ code: 'parse', file, line: lineNo, message: `no MTU on the line of interface ${cur.name}` });
      out.push(cur);
      return;
    }
    if (cur === null) {
      warnings.push({ code: 'parse', file, line: lineNo, message: `not part of an "ip addr" listing: ${t.slice(0, 80)}` });
      return;
    }
    const d: Draft = cur;
    const words = t.split(/\s+/);
    if (words[0]!.startsWith('link/')) {
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
  });
  return {
    interfaces: out.map((d) => ({
      ifindex: d.ifindex,
      name: d.name,
      mtu: d.mtu,
      flags: d.flags,
      operState: d.operState,
      mac: d.mac,
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
        prefix: num(a.prefixlen) ?? (fam === 'inet' ? 32 : 128),
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
      addresses,
      source: { file, line },
    });
  });
  return { interfaces, warnings };
}
