/**
 * The simulator on the bundles of the netns lab (test/lab/lab.sh): real kernels, other address plans and
 * interface names than the field, one fault per scenario. For each scenario the snapshot alone must predict
 * the drop the fault causes, with the reason and the line that proves it; the healthy ones must predict the
 * translations their captures show.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/model/address.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { SimPacket, Trace } from '../../src/model/trace.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, type LabJson } from '../lab/lab-output.js';
import { checkBundleAgainstCaptures, hasTshark, load } from './capture-oracle.js';

interface Lab {
  readonly json: LabJson;
  readonly snap: Snapshot;
  readonly dir: string;
  readonly a: (role: keyof LabJson['addresses']) => number;
}

describe.skipIf(!LAB_AVAILABLE)('simulate on the netns lab bundles', () => {
  let out = '';
  const cache = new Map<string, Lab>();
  const lab = (name: string): Lab => {
    let l = cache.get(name);
    if (!l) {
      const dir = join(out, name);
      const json = readLabJson(dir);
      l = { json, snap: load(dir), dir, a: (role) => parseIpv4(String(json.addresses[role])) };
      cache.set(name, l);
    }
    return l;
  };
  /** The app's ping to the remote host, arriving on the inside. */
  const appPing = (l: Lab, o: Partial<SimPacket> = {}): Trace =>
    simulate(simPacket({ ingress: l.json.inside, src: l.a('app'), dst: l.a('remote'), proto: 1, icmpId: 99, ...o }), l.snap);
  /** The client's ping to the floating IP, arriving on the outside. */
  const clientPing = (l: Lab): Trace => simulate(simPacket({ ingress: l.json.outside, src: l.a('client'), dst: l.a('eip'), proto: 1, icmpId: 98 }), l.snap);
  const sysctlLine = (l: Lab, key: string) => l.snap.host.sysctls.get(key)?.source;

  beforeAll(async () => {
    out = await labOutput();
  }, LAB_WAIT_MS);

  it.skipIf(!hasTshark()).each(['healthy', 'healthy-lan'])('%s: every connection the captures show is translated as predicted', (name) => {
    const l = lab(name);
    const checked = checkBundleAgainstCaptures(l.dir);
    expect(checked.length).toBeGreaterThanOrEqual(5);
    const ap = appPing(l);
    expect(ap.disposition).toMatchObject({ kind: 'forwarded', egress: l.json.outside, out: { src: l.a('eip') } });
    expect(clientPing(l).disposition).toMatchObject({ kind: 'forwarded', egress: l.json.inside, out: { dst: l.a('app') } });
  });

  it('ip-forward-disabled: both directions stop at the forwarding gate, citing ip_forward', () => {
    const l = lab('ip-forward-disabled');
    for (const tr of [appPing(l), clientPing(l)]) {
      expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'ip-forward-disabled', icmpBack: null, source: sysctlLine(l, 'net.ipv4.ip_forward') });
    }
  });

  it('forward-chain-drop: the FORWARD policy, with its line', () => {
    const l = lab('forward-chain-drop');
    const fwd = l.snap.rules?.tables.filter?.chains.find((c) => c.name === 'FORWARD');
    expect(appPing(l).disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain', rule: null, source: fwd?.source });
  });

  it('forward-chain-reject: the REJECT rule and the ICMP it sends back', () => {
    const l = lab('forward-chain-reject');
    const tr = appPing(l);
    expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain', icmpBack: { type: 3, code: 3 }, rule: { table: 'filter', chain: 'FORWARD', index: 1 } });
  });

  it('intermittent-drop: forwarded, with the statistic DROP recorded as a possible drop', () => {
    const l = lab('intermittent-drop');
    const tr = appPing(l);
    expect(tr.disposition.kind).toBe('forwarded');
    expect(tr.mayMatch).toHaveLength(1);
    expect(tr.mayMatch[0]!.drops).toBe(true);
    expect(tr.mayMatch[0]!.probability).toBeCloseTo(0.3, 3);
  });

  it('rp-filter-drop: the spoofed source stops at the reverse-path check; others pass', () => {
    const l = lab('rp-filter-drop');
    const spoof = simulate(simPacket({ ingress: l.json.outside, src: l.a('spoof'), dst: l.a('app'), proto: 1, icmpId: 5 }), l.snap);
    expect(spoof.disposition).toMatchObject({ kind: 'dropped', reason: 'rp-filter', source: sysctlLine(l, `net.ipv4.conf.${l.json.outside.replace(/\./g, '/')}.rp_filter`) });
    expect(clientPing(l).disposition.kind).toBe('forwarded');
  });

  it('no-route: net unreachable back', () => {
    const l = lab('no-route');
    expect(appPing(l).disposition).toMatchObject({ kind: 'dropped', reason: 'no-route', icmpBack: { type: 3, code: 0 } });
  });

  it('egress-neighbor-unresolved: forwarded to a next hop the neighbour table marks unresolved', () => {
    const l = lab('egress-neighbor-unresolved');
    const tr = appPing(l);
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', nextHop: l.a('ghostOutside') });
    expect(tr.steps.some((s) => s.stage === 'neighbour' && s.verdict === 'unresolved')).toBe(true);
  });

  it('arp-disabled: the outside interface has NOARP', () => {
    const l = lab('arp-disabled');
    const tr = appPing(l);
    expect(tr.disposition.kind).toBe('forwarded');
    expect(tr.steps.some((s) => s.stage === 'neighbour' && s.verdict === 'NOARP')).toBe(true);
  });

  it('mtu-exceeded: a large DF packet gets frag-needed with the egress MTU; a small one passes', () => {
    const l = lab('mtu-exceeded');
    const mtu = l.snap.host.interfaces.find((i) => i.name === l.json.outside)!.mtu;
    expect(appPing(l, { size: mtu + 100, df: true }).disposition).toMatchObject({ kind: 'dropped', reason: 'mtu-exceeded', icmpBack: { type: 3, code: 4, mtu } });
    expect(appPing(l, { size: 84, df: true }).disposition.kind).toBe('forwarded');
  });

  it('snat-missing: forwarded with the private source', () => {
    const l = lab('snat-missing');
    const tr = appPing(l);
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', egress: l.json.outside, out: { src: l.a('app') } });
    expect(tr.rewrites).toEqual([]);
  });

  it('dnat-backend-unreachable: the floating IP DNATs to the absent backend', () => {
    const l = lab('dnat-backend-unreachable');
    expect(clientPing(l).disposition).toMatchObject({ kind: 'forwarded', egress: l.json.inside, out: { dst: l.a('ghostInside') } });
  });

  it('outside-no-carrier: translated, then dropped at the interface without carrier, host unreachable back', () => {
    const l = lab('outside-no-carrier');
    const t = appPing(l);
    expect(t.disposition).toMatchObject({ kind: 'dropped', stage: 'neighbour', reason: 'link-down', egress: l.json.outside, icmpBack: { type: 3, code: 1 } });
    // After POSTROUTING: the SNAT rule took it (its counter moved), as the kernel's would.
    expect(t.rewrites.some((n) => n.kind === 'SNAT')).toBe(true);
    expect(t.steps.at(-1)!.note).toContain(`${l.json.outside} has no carrier (<NO-CARRIER,`);
  });

  it('outside-link-down: the routes went with the interface: no route, net unreachable back', () => {
    const l = lab('outside-link-down');
    expect(appPing(l).disposition).toMatchObject({ kind: 'dropped', reason: 'no-route', icmpBack: { type: 3, code: 0 } });
  });

  it('snapshot-backend-mismatch: the trace says the legacy rules are missing', () => {
    const l = lab('snapshot-backend-mismatch');
    const tr = appPing(l);
    expect(tr.rewrites).toEqual([]);
    expect(tr.assumptions.some((a) => a.includes('iptables-legacy'))).toBe(true);
  });
});
