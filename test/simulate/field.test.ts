/**
 * The simulator against real gateways: the field bundles' snapshots, read by the real parsers, must predict
 * the translations the captures show. tshark is the oracle: every connection-opening packet that arrives at the
 * gateway (source MAC not the gateway's own) is simulated, and the predicted packet must appear leaving the
 * other interface (source MAC the gateway's) with the same protocol, echo sequence / TCP SYN, and exactly the
 * predicted addresses and ports (ports and echo ids only where the rule keeps them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ipv4ToString, parseIpv4 } from '../../src/model/address.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Trace } from '../../src/model/trace.js';
import { listBundle } from '../../src/gateway/list-bundle.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';

const FIELD = join(import.meta.dirname, '../../../shared/field');

function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Pkt {
  readonly frame: number;
  readonly mac: string;
  readonly src: number;
  readonly dst: number;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  readonly icmpType: number;
  readonly icmpId: number;
  readonly icmpSeq: number;
  readonly syn: boolean;
  readonly ack: boolean;
  readonly size: number;
  readonly df: boolean;
}

const FIELDS = ['frame.number', 'eth.src', 'ip.src', 'ip.dst', 'ip.proto', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.ident', 'icmp.seq', 'tcp.flags.syn', 'tcp.flags.ack', 'ip.len', 'ip.flags.df'];

function readCapture(path: string): Pkt[] {
  const args = ['-r', path, '-Y', 'ip', '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=,'];
  for (const f of FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const flag = (s: string | undefined): boolean => s === '1' || s === 'True';
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const c = l.split(',');
      const n = (i: number): number => (c[i] ? Number(c[i]) : 0);
      return {
        frame: n(0),
        mac: c[1]!.toLowerCase(),
        src: parseIpv4(c[2]!),
        dst: parseIpv4(c[3]!),
        proto: n(4),
        sport: n(5) || n(7),
        dport: n(6) || n(8),
        icmpType: c[9] ? n(9) : -1,
        icmpId: n(10),
        icmpSeq: n(11),
        syn: flag(c[12]),
        ack: flag(c[13]),
        size: n(14),
        df: flag(c[15]),
      };
    });
}

function load(dir: string): Snapshot {
  return loadSnapshot(listBundle(dir), { explicit: false });
}

/** Connection-opening packets: echo requests (first per id), SYNs, the first UDP datagram of a 5-tuple. */
function openers(pkts: readonly Pkt[], gatewayMacs: ReadonlySet<string>): Pkt[] {
  const seen = new Set<string>();
  const out: Pkt[] = [];
  for (const p of pkts) {
    if (gatewayMacs.has(p.mac)) continue;
    let key: string | null = null;
    if (p.proto === 1 && p.icmpType === 8) key = `i|${p.src}|${p.dst}|${p.icmpId}`;
    else if (p.proto === 6 && p.syn && !p.ack) key = `t|${p.src}|${p.dst}|${p.sport}|${p.dport}`;
    else if (p.proto === 17) key = `u|${p.src}|${p.dst}|${p.sport}|${p.dport}`;
    if (key === null || seen.has(key)) continue;
    // A UDP reply to a datagram that left earlier is not an opener.
    if (p.proto === 17 && seen.has(`u|${p.dst}|${p.src}|${p.dport}|${p.sport}`)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function findCopy(egress: readonly Pkt[], gatewayMacs: ReadonlySet<string>, inbound: Pkt, tr: Trace): Pkt | undefined {
  if (tr.disposition.kind !== 'forwarded') return undefined;
  const o = tr.disposition.out;
  const mayChange = tr.disposition.portsMayChange;
  return egress.find(
    (e) =>
      gatewayMacs.has(e.mac) &&
      e.proto === inbound.proto &&
      e.src === o.src &&
      e.dst === o.dst &&
      (inbound.proto === 1
        ? e.icmpType === inbound.icmpType && e.icmpSeq === inbound.icmpSeq && (mayChange || e.icmpId === o.sport)
        : e.dport === o.dport && (mayChange || e.sport === o.sport) && e.syn === inbound.syn),
  );
}

const HEALTHY = ['healthy', 'healthy-pcapng'].filter((d) => existsSync(join(FIELD, d)));

describe.skipIf(!hasTshark() || HEALTHY.length === 0)('simulate on the healthy field bundles: predictions match the captures', () => {
  for (const name of HEALTHY) {
    it(name, () => {
      const dir = join(FIELD, name);
      const snap = load(dir);
      const macs = new Map<string, string>();
      for (const i of snap.host.interfaces) if (i.mac) macs.set(i.name, i.mac.toLowerCase());
      const gatewayMacs = new Set(macs.values());
      const caps = new Map<string, Pkt[]>();
      for (const i of snap.host.interfaces) {
        const f = join(dir, `${i.name}.pcap`);
        if (existsSync(f)) caps.set(i.name, readCapture(f));
      }
      expect(caps.size).toBe(2);
      const checked: string[] = [];
      for (const [ingress, pkts] of caps) {
        for (const p of openers(pkts, gatewayMacs)) {
          const tr = simulate(
            simPacket({ ingress, src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, icmpType: p.icmpType, icmpCode: 0, icmpId: p.icmpId, size: p.size, df: p.df }),
            snap,
          );
          const label = `${ingress} frame ${p.frame} ${ipv4ToString(p.src)}→${ipv4ToString(p.dst)} proto ${p.proto}`;
          if (tr.disposition.kind === 'local') continue;
          expect(tr.disposition.kind, label).toBe('forwarded');
          expect(tr.unsure, label).toBe(false);
          const egress = tr.disposition.kind === 'forwarded' ? tr.disposition.egress : '';
          const copy = findCopy(caps.get(egress) ?? [], gatewayMacs, p, tr);
          expect(copy, `${label}: predicted ${JSON.stringify(tr.disposition)} not seen on ${egress}`).toBeDefined();
          const o = tr.disposition.kind === 'forwarded' ? tr.disposition.out : null;
          checked.push(`${ipv4ToString(p.src)}>${ipv4ToString(p.dst)}:${p.proto === 1 ? 'icmp' : p.dport} => ${ipv4ToString(o!.src)}>${ipv4ToString(o!.dst)}:${p.proto === 1 ? 'icmp' : o!.dport}`);
        }
      }
      // The translations the bundle was built to show must be among those checked.
      expect(checked).toEqual(
        expect.arrayContaining([
          '10.0.4.10>198.51.100.29:icmp => 203.0.113.71>198.51.100.29:icmp',
          '10.0.4.11>198.51.100.29:icmp => 203.0.113.72>198.51.100.29:icmp',
          '203.0.113.5>203.0.113.72:8080 => 203.0.113.5>10.0.4.11:80',
          '203.0.113.5>203.0.113.71:icmp => 203.0.113.5>10.0.4.10:icmp',
          '10.0.4.10>198.51.100.29:80 => 203.0.113.71>198.51.100.29:80',
          '10.0.4.10>198.51.100.29:53 => 203.0.113.71>198.51.100.29:53',
        ]),
      );
    });
  }

  it('the SNAT rules used are the ones the captures imply, with their lines', () => {
    const snap = load(join(FIELD, 'healthy'));
    const app = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 20507 }), snap);
    expect(app.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line, r.portsMayChange])).toEqual([['SNAT', 'EXCLUSIVE_SNAT', 18, false]]);
    const app2 = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.11'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 20506 }), snap);
    expect(app2.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line, r.portsMayChange])).toEqual([['SNAT', 'SHARED_SNAT', 21, true]]);
    const port = simulate(simPacket({ ingress: 'net1', src: parseIpv4('203.0.113.5'), dst: parseIpv4('203.0.113.72'), proto: 6, sport: 42335, dport: 8080 }), snap);
    expect(port.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line])).toEqual([['DNAT', 'SHARED_DNAT', 19]]);
  });
});

describe.skipIf(!existsSync(join(FIELD, 'ip-forward-off')))('simulate on the faulty field bundles', () => {
  const app = simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 7 });
  const outside = simPacket({ ingress: 'net1', src: parseIpv4('203.0.113.5'), dst: parseIpv4('203.0.113.72'), proto: 6, sport: 40000, dport: 8080 });

  for (const name of ['ip-forward-off', 'ip-forward-off-any']) {
    it(`${name}: dropped with ip-forward-disabled citing net.ipv4.ip_forward`, () => {
      const snap = load(join(FIELD, name));
      for (const p of [app, outside]) {
        const tr = simulate(p, snap);
        expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'ip-forward-disabled', icmpBack: null });
        const d = tr.disposition.kind === 'dropped' ? tr.disposition : null;
        expect(d?.source?.file).toBe(join(FIELD, name, 'sysctl.txt'));
        expect(snap.host.sysctls.get('net.ipv4.ip_forward')?.source.line).toBe(d?.source?.line);
      }
      // DNAT happens before the forwarding gate: DNAT counters climb while SNAT ones stay 0 (FAILURES.md).
      expect(simulate(outside, snap).rewrites.map((r) => r.kind)).toEqual(['DNAT']);
    });
  }

  it('forward-drop: dropped with forward-chain citing the FORWARD policy line', () => {
    const snap = load(join(FIELD, 'forward-drop'));
    for (const p of [app, outside]) {
      const tr = simulate(p, snap);
      expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain', stage: 'filter', rule: null });
      const fwd = snap.rules?.tables.filter?.chains.find((c) => c.name === 'FORWARD');
      expect(fwd?.policy).toBe('DROP');
      expect(tr.disposition.kind === 'dropped' && tr.disposition.source).toEqual(fwd?.source);
    }
  });

  it('snat-missing: the app leaves untranslated', () => {
    const snap = load(join(FIELD, 'snat-missing'));
    const tr = simulate(app, snap);
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1', out: { src: parseIpv4('10.0.4.10') } });
    expect(tr.rewrites).toEqual([]);
  });
});
