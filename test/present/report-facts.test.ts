import { describe, expect, it } from 'vitest';
import { natChange, reportFacts, splitFix } from '../../src/present/report-facts.js';
import { clone, loadFixture } from './report-fixtures.js';

describe('reportFacts on the ip-forward-off analysis', () => {
  const a = loadFixture('ip-forward-off', '/bundle/ip-forward-off');
  const f = reportFacts(a);

  it('takes the error finding as the root cause and marks it a sysctl finding', () => {
    expect(f.rootCause?.check).toBe('ip-forward-disabled');
    expect(f.otherFindings).toHaveLength(0);
    expect(f.sysctlFindings.has(f.rootCause!)).toBe(true);
  });

  it('splits the fix into now and persistent', () => {
    const plan = f.fixes.get(f.rootCause!)!;
    expect(plan.now).toEqual(['sysctl -w net.ipv4.ip_forward=1']);
    expect(plan.persist).toEqual(["echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/99-ip-forward.conf", 'sysctl --system']);
  });

  it('finds where forwarding stopped: the first judged request without a copy', () => {
    expect(f.stop).toMatchObject({ iface: 'eth0', frame: 19, flow: 'f1', expectedOn: 'net1', time: '2026-11-26T09:58:42.116213000Z' });
  });

  it('groups packets into bursts per interface, counting the lost ones', () => {
    expect(f.bursts.map((b) => [b.iface, b.requests, b.lost])).toEqual([
      ['eth0', 13, 13],
      ['eth0', 3, 3],
      ['eth0', 3, 3],
      ['net1', 5, 5],
      ['net1', 2, 2],
      ['net1', 2, 2],
      ['net1', 2, 0], // f12, outside the shared window: not judged, not lost
    ]);
  });

  it('splits rules by their counters', () => {
    expect(f.fired.map((r) => r.line)).toEqual([13, 15, 16, 17, 19]);
    expect(f.neverFired.map((r) => r.line)).toEqual([14, 18, 20, 21, 22, 23]);
    expect(f.overallLoss).toEqual({ judged: 28, lost: 28 });
    expect(f.rel('/bundle/ip-forward-off/eth0.pcap')).toBe('eth0.pcap');
    // A warning about both captures names both: each is shortened.
    expect(f.rel('/bundle/ip-forward-off/eth0.pcap, /bundle/ip-forward-off/net1.pcap')).toBe('eth0.pcap, net1.pcap');
    expect(f.ifaces).toEqual(['eth0', 'net1']);
  });
});

describe('splitFix', () => {
  it('keeps commands before the first persistent one as "now"', () => {
    expect(splitFix(['iptables -t nat -I SHARED_SNAT -s 10.0.4.0/24 -o net1 -j SNAT --to-source 203.0.113.72', 'iptables-save > /etc/iptables/rules.v4'])).toEqual({
      now: ['iptables -t nat -I SHARED_SNAT -s 10.0.4.0/24 -o net1 -j SNAT --to-source 203.0.113.72'],
      persist: ['iptables-save > /etc/iptables/rules.v4'],
    });
    expect(splitFix(['conntrack -D -s 10.0.4.10'])).toEqual({ now: ['conntrack -D -s 10.0.4.10'], persist: [] });
  });
});

describe('natChange', () => {
  it('names SNAT, DNAT, ports only when they changed, and remapped echo ids', () => {
    const o = { src: '10.0.4.10', dst: '198.51.100.29', sport: 33118, dport: 80 };
    expect(natChange(o, { ...o, src: '203.0.113.71' }, 'tcp')).toBe('SNAT 10.0.4.10 → 203.0.113.71');
    expect(natChange(o, { ...o, src: '203.0.113.72', sport: 61000 }, 'tcp')).toBe('SNAT 10.0.4.10:33118 → 203.0.113.72:61000');
    const i = { src: '203.0.113.5', dst: '203.0.113.72', sport: 54829, dport: 8080 };
    expect(natChange(i, { ...i, dst: '10.0.4.11', dport: 80 }, 'tcp')).toBe('DNAT 203.0.113.72:8080 → 10.0.4.11:80');
    const e = { src: '10.0.4.11', dst: '198.51.100.29', sport: 20506, dport: null };
    expect(natChange(e, { ...e, src: '203.0.113.72', sport: 59803 }, 'icmp')).toBe('SNAT 10.0.4.11 → 203.0.113.72, echo id 20506 → 59803');
    expect(natChange(o, o, 'tcp')).toBe('no translation');
  });
});

describe('samples read once per analysis', () => {
  it('the bursts, the stop mark and every report share one reading of the flows’ samples', () => {
    // A flow's samples are made each time they are read (public-flow.ts): for 100,000 flows, reading them all
    // for each report part was most of a report's time.
    const a = clone(loadFixture('ip-forward-off', '/bundle/ip-forward-off'));
    const reads = new Map<string, number>();
    for (const f of a.flows) {
      const samples = f.samples;
      Object.defineProperty(f, 'samples', { enumerable: true, get: () => (reads.set(f.id, (reads.get(f.id) ?? 0) + 1), samples) });
    }
    const first = reportFacts(a);
    const again = reportFacts(a);
    expect(again.bursts).toEqual(first.bursts);
    expect(first.stop).not.toBeNull();
    expect(reads.size).toBe(a.flows.length);
    for (const n of reads.values()) expect(n).toBe(1);
  });
});
