/**
 * `ip rule` / `ip -j rule` (policy routing): parsed, recognised by content, and walked as the kernel walks the rule
 * list (fib_rules_lookup) — iif, from/to, fwmark under its mask, not, goto, nop, suppress_prefixlength, the refusing
 * actions — by the simulator's route lookup, over the field's healthy snapshot with the routes moved into a table.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIpRule } from '../../src/gateway/ip-rule.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { parseIpv4 } from '../../src/model/address.js';
import { hostView } from '../../src/simulate/host-view.js';
import { lookupRoute, type RouteKey } from '../../src/simulate/route-lookup.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { fieldSets } from '../support/field.js';

const TEXT = [
  '0:\tfrom all lookup local',
  '100:\tfrom all fwmark 0x10/0xf0 lookup 10',
  '200:\tnot from 10.0.4.0/24 iif eth0 lookup 20',
  '300:\tfrom 10.0.4.66 goto 500',
  '400:\tfrom 10.0.4.66 blackhole',
  '500:\tfrom all to 198.51.100.0/24 lookup 30 suppress_prefixlength 0',
  '600:\tfrom all ipproto tcp dport 22 lookup 40',
  '700:\tfrom all iif eth0 [detached] lookup 40',
  '800:\tfrom 10.0.4.77 unreachable',
  '32764:\tfrom all iif eth0 lookup 100',
  '32765:\tfrom all iif net1 lookup 100',
  '32766:\tfrom all lookup main',
  '32767:\tfrom all lookup default',
].join('\n');

describe('ip rule parsing', () => {
  it('reads every selector and action of the text form, in priority order', () => {
    const { rules, warnings } = parseIpRule(`${TEXT}\n`, 'ip-rule.txt');
    expect(warnings).toEqual([]);
    expect(rules.map((r) => r.priority)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 32764, 32765, 32766, 32767]);
    const by = (p: number) => rules.find((r) => r.priority === p)!;
    expect(by(100)).toMatchObject({ fwmark: { value: 0x10, mask: 0xf0 }, action: 'lookup', table: '10' });
    expect(by(200)).toMatchObject({ not: true, from: { addr: parseIpv4('10.0.4.0'), prefix: 24 }, iif: 'eth0', table: '20' });
    expect(by(300)).toMatchObject({ action: 'goto', goto: 500 });
    expect(by(400)).toMatchObject({ action: 'blackhole', table: null });
    expect(by(500)).toMatchObject({ to: { addr: parseIpv4('198.51.100.0'), prefix: 24 }, suppressPrefixLength: 0 });
    expect(by(600)).toMatchObject({ ipproto: 6, sport: null, dport: { lo: 22, hi: 22 }, unmodelled: [] });
    expect(by(700).unmodelled).toEqual(['[detached]']);
    expect(by(32765)).toMatchObject({ iif: 'net1', table: '100', source: { file: 'ip-rule.txt', line: 11 } });
  });

  it('reads ip -j rule, and the same rules as the text gives them', () => {
    const json = JSON.stringify([
      { priority: 0, src: 'all', table: 'local' },
      { priority: 100, src: 'all', fwmark: '0x10', fwmask: '0xf0', table: '10' },
      { priority: 200, not: null, src: '10.0.4.0', srclen: 24, iif: 'eth0', table: '20' },
      { priority: 300, src: '10.0.4.66', action: 'goto', target: 500 },
      { priority: 400, src: '10.0.4.66', action: 'blackhole' },
      { priority: 500, src: 'all', dst: '198.51.100.0', dstlen: 24, table: '30', suppress_prefixlen: 0 },
      { priority: 600, src: 'all', ipproto: 'tcp', dport: 22, table: '40' },
      { priority: 32765, src: 'all', iif: 'net1', table: '100' },
    ]);
    expect(sniffSnapshot(json)).toBe('ip-rule');
    const { rules, warnings } = parseIpRule(json, 'ip-rule.json');
    expect(warnings).toEqual([]);
    const text = parseIpRule(TEXT, 't').rules;
    for (const r of rules) {
      const same = text.find((x) => x.priority === r.priority)!;
      const pick = ({ not, from, to, iif, oif, fwmark, ipproto, sport, dport, action, table, goto, suppressPrefixLength }: typeof r) => ({ not, from, to, iif, oif, fwmark, ipproto, sport, dport, action, table, goto, suppressPrefixLength });
      expect(pick(r)).toEqual(pick(same));
    }
  });

  it('reads ipproto (by name or number) and port ranges, as ip rule and ip -j rule print them (iproute2 6.x)', () => {
    const text = '0:\tfrom all lookup local\n100:\tfrom all ipproto tcp dport 443 lookup 100\n101:\tfrom all ipproto udp sport 1000-2000 lookup 101\n102:\tfrom all ipproto gre lookup 102\n103:\tfrom all dport 53 lookup 103\n104:\tfrom all tos 0x10 lookup 104\n';
    const json = '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"all","ipproto":"tcp","dport":443,"table":"100"},{"priority":101,"src":"all","ipproto":"udp","sport_start":1000,"sport_end":2000,"table":"101"},{"priority":102,"src":"all","ipproto":"gre","table":"102"},{"priority":103,"src":"all","dport":53,"table":"103"},{"priority":104,"src":"all","tos":"0x10","table":"104"}]';
    const want = [
      [0, null, null, null, []],
      [100, 6, null, { lo: 443, hi: 443 }, []],
      [101, 17, { lo: 1000, hi: 2000 }, null, []],
      [102, 47, null, null, []],
      [103, null, null, { lo: 53, hi: 53 }, []],
      [104, null, null, null, [expect.stringMatching(/^tos/)]],
    ];
    for (const [t, f] of [[text, 'r.txt'], [json, 'r.json']] as const) {
      const r = parseIpRule(t, f);
      expect(r.warnings).toEqual([]);
      expect(r.rules.map((x) => [x.priority, x.ipproto, x.sport, x.dport, x.unmodelled])).toEqual(want);
    }
    expect(parseIpRule('5:\tfrom all ipproto nosuch lookup 1\n6:\tfrom all dport 9-3 lookup 1\n', 'bad.txt').warnings.map((w) => [w.line, w.message])).toEqual([
      [1, 'cannot read "ipproto nosuch": rule left out'],
      [2, 'cannot read "dport 9-3": rule left out'],
    ]);
  });

  it('is told by its content, not taken for ip addr or routes; a garbage line is named, the rest kept', () => {
    expect(sniffSnapshot(`${TEXT}\n`)).toBe('ip-rule');
    const { rules, warnings } = parseIpRule('0:\tfrom all lookup local\n7: from 300.1.2.3 lookup 5\nwhat is this\n32766:\tfrom all lookup main\n', 'r.txt');
    expect(rules.map((r) => r.priority)).toEqual([0, 32766]);
    expect(warnings.map((w) => w.line)).toEqual([2, 3]);
    // IPv6 rules (ip -6 rule) are kept apart, never walked for IPv4.
    expect(parseIpRule('0:\tfrom all lookup local\n1000:\tfrom 2001:db8::/32 lookup 9\n', 'r6.txt').rules.map((r) => r.family)).toEqual([4, 6]);
  });
});

const healthy = fieldSets().find((s) => s.name === 'healthy');

describe.skipIf(!healthy)('route lookups walk the ip rule list', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'natlens-ip-rule-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const snapshotWith = (routes: string, rules: string | null) => {
    const dir = join(tmp, String(n++));
    mkdirSync(dir);
    for (const f of ['ip-addr.txt', 'sysctl.txt', 'iptables-save.txt']) copyFileSync(join(healthy!.dir, f), join(dir, f));
    writeFileSync(join(dir, 'ip-route.txt'), routes);
    if (rules !== null) writeFileSync(join(dir, 'ip-rule.txt'), rules);
    return loadSnapshotFromInputs([dir]);
  };
  // Kube-OVN's old shape: main's default route into the VPC, table 100 for what comes in by either side.
  const ROUTES = [
    'default via 10.0.4.1 dev eth0',
    '10.0.4.0/24 dev eth0 proto kernel scope link src 10.0.4.254',
    '203.0.113.0/24 dev net1 proto kernel scope link src 203.0.113.71',
    'default via 203.0.113.1 dev net1 table 100',
    '10.0.4.0/24 dev eth0 table 100 scope link',
    '198.51.100.0/24 via 203.0.113.9 dev net1 table 30',
    'default via 203.0.113.254 dev net1 table 10',
    'default via 203.0.113.20 dev net1 table 20',
    '',
  ].join('\n');
  const dev = (snap: ReturnType<typeof snapshotWith>, dst: string, key: Partial<RouteKey>) => {
    const r = lookupRoute(hostView(snap), parseIpv4(dst), { src: 0, iif: 'lo', mark: 0, ...key });
    return r.kind === 'route' ? `${r.route.type} ${r.route.via === null ? '' : r.route.text.split(' ')[2]} ${r.table}`.replace(/ +/g, ' ') : r.kind;
  };

  it('iif selects the table; the host\'s own lookups (iif lo) and unselected traffic use main', () => {
    const snap = snapshotWith(ROUTES, TEXT);
    const plain = snapshotWith(ROUTES, TEXT.split('\n').filter((l) => !/^[1-8]00:/.test(l)).join('\n'));
    expect(dev(plain, '8.8.8.8', { src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 203.0.113.1 100');
    expect(dev(plain, '8.8.8.8', { src: parseIpv4('203.0.113.5'), iif: 'net1' })).toBe('unicast 203.0.113.1 100');
    expect(dev(plain, '8.8.8.8', {})).toBe('unicast 10.0.4.1 main');
  });

  it('fwmark under its mask, not, goto, the refusing actions, suppress_prefixlength', () => {
    const snap = snapshotWith(ROUTES, TEXT);
    expect(dev(snap, '8.8.8.8', { mark: 0x1f, src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 203.0.113.254 10');
    expect(dev(snap, '8.8.8.8', { mark: 0x01, src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 203.0.113.1 100');
    // `not` inverts the whole match, iif included (fib_rule_match): rule 200 takes all but what comes from the VPC
    // subnet in by eth0 — another source in by eth0, anything in by net1, the host's own.
    expect(dev(snap, '8.8.8.8', { src: parseIpv4('192.0.2.1'), iif: 'eth0' })).toBe('unicast 203.0.113.20 20');
    expect(dev(snap, '8.8.8.8', { src: parseIpv4('10.0.4.10'), iif: 'net1' })).toBe('unicast 203.0.113.20 20');
    expect(dev(snap, '8.8.8.8', {})).toBe('unicast 203.0.113.20 20');
    // 10.0.4.66 jumps over its blackhole to rule 500: table 30 for 198.51.100/24 …
    expect(dev(snap, '198.51.100.7', { src: parseIpv4('10.0.4.66'), iif: 'eth0' })).toBe('unicast 203.0.113.9 30');
    // … and elsewhere rule 500 does not take it: on to 32764.
    expect(dev(snap, '8.8.8.8', { src: parseIpv4('10.0.4.66'), iif: 'eth0' })).toBe('unicast 203.0.113.1 100');
    expect(dev(snap, '8.8.8.8', { src: parseIpv4('10.0.4.77'), iif: 'eth0' })).toBe('unreachable ip rule 800');
    // suppress_prefixlength 0: a default route the rule finds is refused and the next rule tried; a longer one is kept.
    const suppressed = snapshotWith(`${ROUTES}default via 203.0.113.30 dev net1 table 30\n`, TEXT.replace('500:', '450:\tfrom 10.0.4.10 lookup 30 suppress_prefixlength 0\n500:'));
    expect(dev(suppressed, '8.8.8.8', { src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 203.0.113.1 100');
    expect(dev(suppressed, '198.51.100.7', { src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 203.0.113.9 30');
  });

  it('the simulator forwards by the rule\'s table, names the rule, and says which tables the snapshot lacks', () => {
    const snap = snapshotWith(ROUTES, TEXT);
    const trace = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('8.8.8.8'), proto: 1 }), snap);
    expect(trace.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1' });
    const step = trace.steps.find((s) => s.stage === 'routing')!;
    expect(step.note).toContain('table 100, by ip rule 32764:');
    expect(trace.assumptions.join('\n')).toContain('ip rule 700 ([detached])');
    const lacking = snapshotWith('default via 10.0.4.1 dev eth0\n10.0.4.0/24 dev eth0 proto kernel scope link src 10.0.4.254\n', TEXT);
    const t2 = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('8.8.8.8'), proto: 1 }), lacking);
    expect(t2.assumptions.join('\n')).toMatch(/look up tables 10, 20, 30, 40, 100, which the snapshot's routes do not hold/);
  });

  it('ipproto and ports select by the packet\'s protocol and ports (none for ICMP); the walk and the reverse path say which rule', () => {
    const snap = snapshotWith(`${ROUTES}default via 203.0.113.40 dev net1 table 40\n`, TEXT);
    const from = { src: parseIpv4('10.0.4.10'), iif: 'eth0' };
    expect(dev(snap, '8.8.8.8', { ...from, proto: 6, sport: 40000, dport: 22 })).toBe('unicast 203.0.113.40 40');
    expect(dev(snap, '8.8.8.8', { ...from, proto: 17, sport: 40000, dport: 22 })).toBe('unicast 203.0.113.1 100');
    expect(dev(snap, '8.8.8.8', { ...from, proto: 6, sport: 22, dport: 40000 })).toBe('unicast 203.0.113.1 100');
    expect(dev(snap, '8.8.8.8', from)).toBe('unicast 203.0.113.1 100');
    const ssh = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('8.8.8.8'), proto: 6, sport: 40000, dport: 22 }), snap);
    const step = ssh.steps.find((s) => s.stage === 'routing')!;
    expect(step.note).toContain('table 40, by ip rule 600:');
    expect(step.policyRule).toEqual({ priority: 600, text: '600:\tfrom all ipproto tcp dport 22 lookup 40', source: { file: expect.stringMatching(/ip-rule\.txt$/), line: 7 } });
    const ping = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('8.8.8.8'), proto: 1 }), snap);
    expect(ping.steps.find((s) => s.stage === 'routing')!.policyRule?.priority).toBe(32764);
  });

  it('without ip rule, other tables are not used, and the simulator says so', () => {
    const snap = snapshotWith(ROUTES, null);
    expect(dev(snap, '8.8.8.8', { src: parseIpv4('10.0.4.10'), iif: 'eth0' })).toBe('unicast 10.0.4.1 main');
    const trace = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('8.8.8.8'), proto: 1 }), snap);
    expect(trace.assumptions.join('\n')).toContain('the snapshot has no `ip rule` list');
  });
});
