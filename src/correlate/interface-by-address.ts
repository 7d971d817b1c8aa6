import type { Cidr4 } from '../model/address.js';
import { cidrContains, ipv4ToString } from '../model/address.js';
import type { InputWarning } from '../model/errors.js';
import { Net, type DecodedPacket } from '../model/packet.js';
import type { Snapshot } from '../model/snapshot.js';
import { natOwnAddresses } from '../gateway/nat-addresses.js';
import { decideRoles } from './interface-roles.js';
import { natChainsOf } from '../gateway/nat-rules-present.js';

/**
 * The gateway's interface names when the snapshot has no `ip addr` (so no MACs, see interface-by-mac.ts) and the
 * captures are not named after them (`capture-a.pcap`, `outside-2026-12-06.pcap`): the names the rest of the snapshot
 * uses — the rules' `-i`/`-o`, the routes' `dev`, the `net.ipv4.conf.<if>.*` sysctls — are the gateway's, and which
 * capture is which side the nat rules' own addresses tell. Packets to or from the EIPs (a DNAT rule's `-d`, a SNAT
 * rule's `--to-source`) are seen outside only; packets to or from the DNAT targets and the SNAT rules' sources,
 * inside. A capture whose packets so seen are nearly all (4 in 5) one side's is that side's interface.
 */
export class AddressLook {
  private readonly outside: Set<number>;
  private readonly inside: Set<number>;
  private readonly sources: Cidr4[] = [];
  private readonly counts = new Map<string, { file: string; out: number; in: number }>();

  static of(snapshot: Snapshot | null): AddressLook | null {
    if (!snapshot?.rules || snapshot.host.interfaces.length > 0) return null;
    const look = new AddressLook(snapshot);
    return look.outside.size > 0 && (look.inside.size > 0 || look.sources.length > 0) ? look : null;
  }

  private constructor(private readonly snapshot: Snapshot) {
    this.outside = natOwnAddresses(snapshot.rules, snapshot.nft);
    this.inside = new Set();
    for (const chain of natChainsOf(snapshot.rules, snapshot.nft)) {
      for (const r of chain.rules) {
        if (r.target.kind === 'DNAT') for (const to of r.target.to) if (to.addrLo === to.addrHi) this.inside.add(to.addrLo >>> 0);
        if (r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') {
          for (const m of r.matches) if (m.kind === 'src' && !m.addr.negate && m.addr.cidr) this.sources.push(m.addr.cidr);
        }
      }
    }
  }

  visit(file: string, iface: string, d: DecodedPacket): void {
    if (d.net !== Net.IPV4) return;
    let c = this.counts.get(iface);
    if (!c) this.counts.set(iface, (c = { file, out: 0, in: 0 }));
    if (this.outside.has(d.src) || this.outside.has(d.dst)) c.out++;
    else if (this.inside.has(d.src) || this.inside.has(d.dst) || this.sources.some((s) => cidrContains(s, d.src))) c.in++;
  }

  /**
   * Captured names the snapshot does not use → the gateway interface each is, for the outside (interface-roles.ts:
   * the interface the SNAT rules leave by, the default route's) and the inside (the one other name the snapshot uses), each taken by one
   * capture only and not captured under its own name.
   */
  aliases(captured: ReadonlySet<string>, onWarning: (w: InputWarning) => void): Map<string, string> {
    const names = snapshotNames(this.snapshot);
    const out = new Map<string, string>();
    // The outside as the roles are decided everywhere (SNAT rules' -o, the default route), no capture named yet.
    const outside = decideRoles([], this.snapshot, {}).outside;
    const others = [...names].filter((n) => n !== outside);
    const inside = others.length === 1 ? others[0]! : null;
    const unknown = [...this.counts].filter(([n]) => !names.has(n));
    const pick = (side: 'out' | 'in', name: string | null): void => {
      if (!name || captured.has(name)) return;
      const other = side === 'out' ? 'in' : 'out';
      const fits = unknown.filter(([n, c]) => !out.has(n) && c[side] >= 2 && c[side] >= 4 * c[other]);
      if (fits.length !== 1) return;
      const [n, c] = fits[0]!;
      out.set(n, name);
      const what = side === 'out' ? `the EIPs the nat rules use (${[...this.outside].slice(0, 3).map(ipv4ToString).join(', ')})` : "the nat rules' inside addresses (DNAT targets, SNAT sources)";
      onWarning({
        code: 'interface-by-address',
        file: c.file,
        message: `the gateway's ${name} is not named in this capture (it says ${n}), and the snapshot has no ip addr to tell it by MAC: ${c[side]} of its packets are to or from ${what}, ${c[other]} the other side's, so they are taken as ${name}'s`,
      });
    };
    pick('out', outside);
    pick('in', inside);
    return out;
  }
}

/** Interface names the snapshot uses without `ip addr`: the rules' -i/-o, the routes' dev, the conf.<if> sysctls. */
function snapshotNames(snapshot: Snapshot): Set<string> {
  const names = new Set<string>();
  for (const t of Object.values(snapshot.rules?.tables ?? {})) {
    for (const chain of t?.chains ?? []) for (const r of chain.rules) for (const m of r.matches) if ((m.kind === 'in' || m.kind === 'out') && !m.name.endsWith('+')) names.add(m.name);
  }
  for (const r of snapshot.host.routes) if (r.dev) names.add(r.dev);
  for (const k of snapshot.host.sysctls.keys()) {
    const m = /^net\.ipv4\.conf\.([^.]+)\./.exec(k);
    if (m) names.add(m[1]!.replace(/\//g, '.'));
  }
  for (const n of ['lo', 'all', 'default']) names.delete(n);
  return names;
}
