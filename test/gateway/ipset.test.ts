/**
 * ipset sets (`ipset save`, `ipset list`): parsed, recognised by content (alone or under a heading of a combined
 * file), and looked up as the kernel does for iptables' `-m set --match-set` (ip_set_test) by the simulator — the
 * most specific hash:net member deciding, nomatch exceptions and --return-nomatch, negation, fewer flags than the
 * set's dimensions, ports and ICMP of hash:ip,port, bitmap:port, netmask, list:set, IPv6 sets — and a set the
 * snapshot does not list leaving the rule "may match". The listings are ipset 7.17's own output.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIpset } from '../../src/gateway/ipset.js';
import { parseIptablesList } from '../../src/gateway/iptables-list.js';
import { parseIptablesSave } from '../../src/gateway/iptables-save.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { loadSnapshotFromInputs } from '../../src/gateway/load-snapshot.js';
import { parseIpv4 } from '../../src/model/address.js';
import type { IpSet } from '../../src/model/ipset.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { lookupSet, type SetFields } from '../../src/simulate/ipset-match.js';

const SAVE = `create t hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xc155ce1e
add t 10.0.0.0/24
add t 10.0.0.5 nomatch
create p hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xa5558f5e
add p 10.0.0.1,tcp:80
add p 10.0.0.1,icmp:echo-request
create b bitmap:port range 0-1000
add b 80
create ti hash:ip family inet hashsize 1024 maxelem 65536 netmask 24 timeout 300 bucketsize 12 initval 0x92872f61
add ti 10.1.2.0 timeout 299
create l list:set size 8
add l t
create v6 hash:net family inet6 hashsize 1024 maxelem 65536
add v6 2001:db8::/32
`;

const LIST = `Name: t
Type: hash:net
Revision: 7
Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0xc155ce1e
Size in memory: 552
References: 1
Number of entries: 2
Members:
10.0.0.0/24
10.0.0.5 nomatch

Name: b
Type: bitmap:port
Revision: 3
Header: range 0-1000
Size in memory: 200
References: 0
Number of entries: 1
Members:
80
`;

function sets(text: string): Map<string, IpSet> {
  return new Map(parseIpset(text, 'ipset.txt').sets.map((s) => [s.name, s]));
}

function fields(p: Partial<SetFields>): SetFields {
  return { src: 0, dst: 0, proto: 1, sport: 0, dport: 0, icmpType: 8, icmpCode: 0, inIface: 'eth0', outIface: 'net1', mark: 0, ...p };
}

const ip = parseIpv4;

describe('ipset save and ipset list, parsed', () => {
  it('reads every set of ipset save: type, dimensions, family, netmask, members with their lines, nomatch', () => {
    const r = parseIpset(SAVE, 'ipset.txt');
    expect(r.warnings).toEqual([]);
    const by = new Map(r.sets.map((s) => [s.name, s]));
    expect([...by.keys()]).toEqual(['t', 'p', 'b', 'ti', 'l', 'v6']);
    expect(by.get('t')).toMatchObject({ type: 'hash:net', dims: ['net'], family: 'inet', complete: true, source: { file: 'ipset.txt', line: 1 } });
    expect(by.get('t')!.members.map((m) => [m.text, m.nomatch, m.source.line])).toEqual([
      ['10.0.0.0/24', false, 2],
      ['10.0.0.5 nomatch', true, 3],
    ]);
    expect(by.get('p')!.dims).toEqual(['ip', 'port']);
    expect(by.get('p')!.members[1]!.values[1]).toEqual({ kind: 'port', proto: 1, lo: 8 << 8, hi: 8 << 8 });
    expect(by.get('b')).toMatchObject({ dims: ['port'], family: null });
    expect(by.get('ti')).toMatchObject({ netmask: 24 });
    expect(by.get('l')!.members[0]!.values).toEqual([{ kind: 'set', name: 't' }]);
    expect(by.get('v6')).toMatchObject({ family: 'inet6', members: [], complete: true });
  });

  it('reads ipset list the same, and the two forms give the same members', () => {
    const r = parseIpset(LIST, 'list.txt');
    expect(r.warnings).toEqual([]);
    const t = r.sets.find((s) => s.name === 't')!;
    expect(t).toMatchObject({ type: 'hash:net', family: 'inet', complete: true, source: { line: 1 } });
    expect(t.members.map((m) => [m.text, m.nomatch, m.source.line])).toEqual([
      ['10.0.0.0/24', false, 9],
      ['10.0.0.5 nomatch', true, 10],
    ]);
    expect(t.members.map((m) => m.values)).toEqual(sets(SAVE).get('t')!.members.map((m) => m.values));
    expect(r.sets.find((s) => s.name === 'b')!.members.map((m) => m.text)).toEqual(['80']);
  });

  it('a listing without members (ipset list -t) leaves the set incomplete, and says so', () => {
    const terse = LIST.split('\n').filter((l) => !/^(Members:|10\.|80$)/.test(l)).join('\n');
    const r = parseIpset(terse, 'terse.txt');
    expect(r.sets.map((s) => [s.name, s.complete, s.members.length])).toEqual([
      ['t', false, 0],
      ['b', false, 0],
    ]);
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringContaining('set t is listed without its members'), expect.stringContaining('set b is listed without its members')]);
  });

  it('members it cannot read and lines that are none of ipset: warnings with their lines, the set left open', () => {
    const r = parseIpset('create x hash:ip,port family inet\nadd x 10.0.0.1,tcp:99999\nadd y 10.0.0.2\nhello there\ncreate z hash:weird family inet\n', 'bad.txt');
    expect(r.warnings.map((w) => [w.line, w.message.slice(0, 40)])).toEqual([
      [2, 'set x: cannot read member "10.0.0.1,tcp:'],
      [3, 'add to set y before its create line: lef'],
      [4, 'not an ipset save or ipset list line: he'],
      [5, 'set z: type hash:weird is not one natlen'],
    ]);
    expect(r.sets.find((s) => s.name === 'x')!.complete).toBe(false);
  });

  it('is recognised by content, alone and as a section of a combined file, and loaded into the host state', () => {
    expect(sniffSnapshot(SAVE)).toBe('ipset');
    expect(sniffSnapshot(LIST)).toBe('ipset');
    const dir = mkdtempSync(join(tmpdir(), 'natlens-ipset-'));
    try {
      writeFileSync(join(dir, 'state.txt'), `$ ipset list\n${LIST}\n$ sysctl net.ipv4.ip_forward\nnet.ipv4.ip_forward = 1\n`);
      const snap = loadSnapshotFromInputs([join(dir, 'state.txt')]);
      expect(snap.files).toEqual([{ path: join(dir, 'state.txt'), kind: 'combined', sections: ['ipset', 'sysctl'] }]);
      expect([...snap.host.ipsets!.keys()]).toEqual(['t', 'b']);
      // Cited at the combined file's own lines.
      expect(snap.host.ipsets!.get('t')!.members[0]!.source).toEqual({ file: join(dir, 'state.txt'), line: 10 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('-m set in the rule listings', () => {
  it('iptables-save and iptables -L -n -v read the same set matches: names, flags, negation, --return-nomatch', () => {
    const save = parseIptablesSave(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m set ! --match-set t src,dst --return-nomatch -j DROP\n-A FORWARD -m set --match-set p dst,dst ! --update-counters -j ACCEPT\n-A FORWARD -m set --set old src -j DROP\nCOMMIT\n',
      'save.txt',
    );
    const list = parseIptablesList(
      [
        'Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)',
        ' pkts bytes target     prot opt in     out     source               destination         ',
        '    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! match-set t src,dst return-nomatch',
        '    0     0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            match-set p dst,dst ! update-counters',
        '    0     0 DROP       0    --  *      *       0.0.0.0/0            0.0.0.0/0            match-set old src',
        '',
      ].join('\n'),
      'list.txt',
    );
    expect(save.warnings).toEqual([]);
    expect(list.warnings.filter((w) => w.code !== 'table-guessed')).toEqual([]);
    const want = [
      { kind: 'set', name: 't', flags: ['src', 'dst'], negate: true, returnNomatch: true },
      { kind: 'set', name: 'p', flags: ['dst', 'dst'], negate: false, returnNomatch: false },
      { kind: 'set', name: 'old', flags: ['src'], negate: false, returnNomatch: false },
    ];
    for (const rs of [save.ruleset, list.ruleset]) {
      const rules = rs.tables.filter!.chains.find((c) => c.name === 'FORWARD')!.rules;
      expect(rules.map((r) => r.matches.filter((m) => m.kind === 'set'))).toEqual(want.map((w) => [w]));
      expect(rules.every((r) => r.unsure.length === 0)).toBe(true);
    }
    expect(list.ruleset.tables.filter!.chains[0]!.rules[0]!.text).toBe('-A FORWARD -m set ! --match-set t src,dst --return-nomatch -j DROP');
  });
});

describe('looking a packet up in a set, as ip_set_test does', () => {
  const s = sets(SAVE);

  it('hash:net: the most specific member decides; a nomatch member is an exception; --return-nomatch is the caller\'s', () => {
    expect(lookupSet(s, 't', ['src'], fields({ src: ip('10.0.0.7') }))).toMatchObject({ kind: 'in', member: { text: '10.0.0.0/24' }, values: 'src 10.0.0.7' });
    expect(lookupSet(s, 't', ['src'], fields({ src: ip('10.0.0.5') }))).toMatchObject({ kind: 'nomatch', member: { text: '10.0.0.5 nomatch' } });
    expect(lookupSet(s, 't', ['dst'], fields({ src: ip('10.0.0.7'), dst: ip('10.0.1.7') }))).toMatchObject({ kind: 'out', values: 'dst 10.0.1.7' });
    // Extra flags beyond the set's dimensions are not looked at; fewer never match.
    expect(lookupSet(s, 't', ['src', 'dst'], fields({ src: ip('10.0.0.7') })).kind).toBe('in');
    expect(lookupSet(s, 'p', ['dst'], fields({ dst: ip('10.0.0.1'), proto: 6, dport: 80 })).kind).toBe('out');
  });

  it('hash:ip,port: the protocol and the port of the flag\'s side, or the ICMP type and code', () => {
    const tcp = (dport: number, proto = 6): SetFields => fields({ dst: ip('10.0.0.1'), proto, dport, sport: 40000 });
    expect(lookupSet(s, 'p', ['dst', 'dst'], tcp(80)).kind).toBe('in');
    expect(lookupSet(s, 'p', ['dst', 'dst'], tcp(80, 17)).kind).toBe('out');
    expect(lookupSet(s, 'p', ['dst', 'src'], tcp(80)).kind).toBe('out');
    expect(lookupSet(s, 'p', ['dst', 'dst'], fields({ dst: ip('10.0.0.1'), proto: 1, icmpType: 8, icmpCode: 0 })).kind).toBe('in');
    expect(lookupSet(s, 'p', ['dst', 'dst'], fields({ dst: ip('10.0.0.1'), proto: 1, icmpType: 0, icmpCode: 0 })).kind).toBe('out');
  });

  it('bitmap:port holds TCP and UDP ports alike, no ICMP; netmask looks the /N network up; list:set its sets in order; an IPv6 set never an IPv4 packet', () => {
    expect(lookupSet(s, 'b', ['dst'], fields({ proto: 17, dport: 80 })).kind).toBe('in');
    expect(lookupSet(s, 'b', ['dst'], fields({ proto: 6, dport: 80 })).kind).toBe('in');
    expect(lookupSet(s, 'b', ['dst'], fields({ proto: 1 })).kind).toBe('out');
    expect(lookupSet(s, 'ti', ['src'], fields({ src: ip('10.1.2.200') })).kind).toBe('in');
    expect(lookupSet(s, 'ti', ['src'], fields({ src: ip('10.1.3.1') })).kind).toBe('out');
    expect(lookupSet(s, 'l', ['src'], fields({ src: ip('10.0.0.9') }))).toMatchObject({ kind: 'in', set: { name: 't' } });
    expect(lookupSet(s, 'l', ['src'], fields({ src: ip('10.9.0.9') })).kind).toBe('out');
    expect(lookupSet(s, 'v6', ['src'], fields({ src: ip('10.0.0.9') })).kind).toBe('out');
  });

  it('a large address set is looked up by prefix, as a scan of every member would find (most specific; ranges; netmask)', () => {
    const lines = ['create big hash:net family inet'];
    for (let k = 0; k < 3000; k++) lines.push(`add big ${10 + (k % 7)}.${(k * 37) % 256}.${(k * 11) % 256}.0/${[8, 16, 24, 28, 32][k % 5]}`);
    lines.push('add big 172.16.0.5-172.16.0.9', 'create masked hash:ip family inet netmask 16', 'add masked 192.168.0.0');
    const big = sets(lines.join('\n'));
    const set = big.get('big')!;
    // The scan, written out: every member holding the address, the longest prefix first (a range counts as /0).
    const scan = (a: number) =>
      set.members
        .filter((m) => { const v = m.values[0] as { lo: number; hi: number }; return a >= v.lo && a <= v.hi; })
        .sort((x, y) => (y.values[0] as { prefix: number }).prefix - (x.values[0] as { prefix: number }).prefix)[0];
    let seed = 7;
    const addrs = [ip('172.16.0.7'), ip('172.16.0.10'), ...Array.from({ length: 3000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0), (((10 + (seed % 7)) << 24) | (seed >>> 8)) >>> 0))];
    let held = 0;
    for (const a of addrs) {
      const r = lookupSet(big, 'big', ['src'], fields({ src: a }));
      const want = scan(a);
      expect(r.kind === 'in' ? r.member : null).toBe(want ?? null);
      if (want) held++;
    }
    expect(held).toBeGreaterThan(100);
    expect(lookupSet(big, 'big', ['src'], fields({ src: ip('172.16.0.7') }))).toMatchObject({ kind: 'in', member: { text: '172.16.0.5-172.16.0.9' } });
    expect(lookupSet(big, 'masked', ['dst'], fields({ dst: ip('192.168.201.9') })).kind).toBe('in');
    expect(lookupSet(big, 'masked', ['dst'], fields({ dst: ip('192.169.0.1') })).kind).toBe('out');
  });

  it('list:sets that name one another (a listing made up to hang it): each set looked in once, the lookup ends', () => {
    const n = 200;
    const lines: string[] = [];
    for (let k = 0; k < n; k++) {
      lines.push(`create l${k} list:set size ${n}`);
      for (let j = 0; j < n; j++) lines.push(`add l${k} l${j}`);
    }
    lines.push('create leaf hash:ip family inet', 'add leaf 10.1.1.1', `add l${n - 1} leaf`);
    const loops = sets(lines.join('\n'));
    expect(lookupSet(loops, 'l0', ['src'], fields({ src: ip('10.1.1.1') }))).toMatchObject({ kind: 'in', set: { name: 'leaf' } });
    expect(lookupSet(loops, 'l0', ['src'], fields({ src: ip('10.1.1.2') })).kind).toBe('out');
  });

  it('cannot tell without the listing, for a set it does not list, or one listed in part', () => {
    expect(lookupSet(undefined, 't', ['src'], fields({}))).toMatchObject({ kind: 'unknown', why: expect.stringContaining('give `ipset save`') });
    expect(lookupSet(s, 'nope', ['src'], fields({}))).toMatchObject({ kind: 'unknown', why: 'set nope is not in the ipset listing' });
    const partial = sets('create x hash:ip family inet\nadd x 10.0.0.1\nadd x 10.0.0.300\n');
    expect(lookupSet(partial, 'x', ['src'], fields({ src: ip('10.0.0.1') })).kind).toBe('in');
    expect(lookupSet(partial, 'x', ['src'], fields({ src: ip('10.0.0.2') })).kind).toBe('unknown');
  });
});

describe('the simulator walks -m set rules by the snapshot\'s sets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natlens-ipset-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'rules.txt'),
    [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '[5:420] -A FORWARD -m set --match-set blocked dst -j DROP',
      'COMMIT',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '[3:252] -A POSTROUTING -o wan0 -m set --match-set natnets src -m set ! --match-set natnets dst -j MASQUERADE',
      'COMMIT',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'ipset.txt'), 'create blocked hash:net family inet\nadd blocked 198.51.100.0/24\nadd blocked 198.51.100.9 nomatch\ncreate natnets hash:net family inet\nadd natnets 10.0.1.0/24\n');
  writeFileSync(
    join(dir, 'ip-addr.txt'),
    [
      '2: lan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    link/ether 02:aa:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
      '    inet 10.0.1.1/24 brd 10.0.1.255 scope global lan0',
      '3: wan0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000',
      '    link/ether 02:bb:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
      '    inet 203.0.113.9/24 brd 203.0.113.255 scope global wan0',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'ip-route.txt'), 'default via 203.0.113.1 dev wan0\n10.0.1.0/24 dev lan0 proto kernel scope link src 10.0.1.1\n10.0.2.0/24 via 10.0.1.254 dev lan0\n203.0.113.0/24 dev wan0 proto kernel scope link src 203.0.113.9\n');
  writeFileSync(join(dir, 'sysctl.txt'), 'net.ipv4.ip_forward = 1\n');
  const ping = (src: string, dst: string) => simPacket({ ingress: 'lan0', src: ip(src), dst: ip(dst), proto: 1, icmpId: 7 });

  it('drops what the blocklist holds, citing the member; its nomatch exception and what it does not hold pass', () => {
    const snap = loadSnapshotFromInputs([dir]);
    const t = simulate(ping('10.0.1.5', '198.51.100.7'), snap);
    expect(t.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain' });
    const step = t.steps.find((x) => x.verdict === 'DROP')!;
    expect(step.sets).toEqual([{ set: 'blocked', values: 'dst 198.51.100.7', negate: false, member: { text: '198.51.100.0/24', nomatch: false, source: { file: join(dir, 'ipset.txt'), line: 2 } }, setSource: { file: join(dir, 'ipset.txt'), line: 1 } }]);
    expect(step.note).toContain(`dst 198.51.100.7 is in set blocked (198.51.100.0/24 at ${join(dir, 'ipset.txt')}:2)`);
    expect(t.unsure).toBe(false);
    expect(simulate(ping('10.0.1.5', '198.51.100.9'), snap).disposition).toMatchObject({ kind: 'forwarded', egress: 'wan0' });
  });

  it('warns of rules whose sets the snapshot does not list (ipset-missing): once without any listing, per set missing from one', () => {
    const rules = join(dir, 'rules.txt');
    const base = ['rules.txt', 'ip-addr.txt', 'ip-route.txt', 'sysctl.txt'].map((f) => join(dir, f));
    expect(loadSnapshotFromInputs([dir]).warnings.filter((w) => w.code === 'ipset-missing')).toEqual([]);
    expect(loadSnapshotFromInputs(base).warnings.filter((w) => w.code === 'ipset-missing')).toEqual([
      { code: 'ipset-missing', file: rules, line: 5, message: 'rules look packets up in the ipset sets blocked, natnets, and the snapshot holds no ipset listing: whether they match cannot be told (give `ipset save` with the bundle)' },
    ]);
    const partial = join(dir, 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'ipset.txt'), 'create blocked hash:net family inet\nadd blocked 198.51.100.0/24\n');
    expect(loadSnapshotFromInputs([...base, join(partial, 'ipset.txt')]).warnings.filter((w) => w.code === 'ipset-missing')).toEqual([
      { code: 'ipset-missing', file: rules, line: 12, message: 'this rule looks packets up in the ipset set natnets, which the ipset listing does not hold: whether it matches cannot be told' },
    ]);
  });

  it('masquerades the sources the set holds, not the others; without the listing every such rule may match', () => {
    const snap = loadSnapshotFromInputs([dir]);
    expect(simulate(ping('10.0.1.5', '8.8.8.8'), snap).disposition).toMatchObject({ kind: 'forwarded', out: { src: ip('203.0.113.9') } });
    expect(simulate(ping('10.0.2.5', '8.8.8.8'), snap).disposition).toMatchObject({ kind: 'forwarded', out: { src: ip('10.0.2.5') } });
    const without = loadSnapshotFromInputs(['rules.txt', 'ip-addr.txt', 'ip-route.txt', 'sysctl.txt'].map((f) => join(dir, f)));
    const t = simulate(ping('10.0.1.5', '198.51.100.7'), without);
    expect(t.disposition.kind).toBe('forwarded');
    expect(t.mayMatch.map((m) => [m.target, m.why])).toEqual([
      ['DROP', expect.stringMatching(/^-m set --match-set blocked dst: the snapshot has no ipset listing.*give `ipset save`/)],
      ['MASQUERADE', expect.stringContaining('--match-set natnets src')],
    ]);
  });
});
