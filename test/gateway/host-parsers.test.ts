import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../src/gateway/conntrack.js';
import { parseConntrackStats } from '../../src/gateway/conntrack-stats.js';
import { parseKernelLog } from '../../src/gateway/kernel-log.js';
import { parseTcQdisc } from '../../src/gateway/tc-qdisc.js';
import { parseIpAddr } from '../../src/gateway/ip-addr.js';
import { parseIpNeigh } from '../../src/gateway/ip-neigh.js';
import { parseIpRoute } from '../../src/gateway/ip-route.js';
import { parseSysctl } from '../../src/gateway/sysctl.js';
import { sniffSnapshot } from '../../src/gateway/sniff.js';
import { parseIpv4 } from '../../src/model/address.js';
import { arpSwitchedOff, type HostInterface } from '../../src/model/host.js';
import { LAB, lab } from './helpers.js';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';

const ip = parseIpv4;

describe('parseIpAddr (lab)', () => {
  it('reads text, one-line JSON and pretty JSON to the same interfaces, without @ifN', () => {
    const t = parseIpAddr(lab('ip-addr.txt'), 't');
    const j = parseIpAddr(lab('ip-addr.json'), 'j');
    const p = parseIpAddr(lab('ip-addr-pretty.json'), 'p');
    expect(t.warnings).toEqual([]);
    const strip = (is: typeof t.interfaces) => is.map((i) => ({ ...i, source: null, addresses: i.addresses.map((a) => ({ ...a, source: null })) }));
    expect(strip(j.interfaces)).toEqual(strip(t.interfaces));
    expect(strip(p.interfaces)).toEqual(strip(t.interfaces));
    const lan = t.interfaces.find((i) => i.name === 'lan0')!;
    expect(lan.mtu).toBe(1450);
    expect(lan.flags).toContain('UP');
    const wan = t.interfaces.find((i) => i.name === 'wan0')!;
    expect(wan.addresses.filter((a) => a.family === 4).map((a) => [a.address, a.secondary])).toEqual([
      ['198.18.5.10', false],
      ['198.18.5.11', true],
    ]);
    // Pretty JSON: each interface keeps the line its object starts on.
    expect(p.interfaces.map((i) => i.source.line)).toEqual([...p.interfaces.map((i) => i.source.line)].sort((a, b) => a - b));
    expect(new Set(p.interfaces.map((i) => i.source.line)).size).toBe(p.interfaces.length);
    expect(lab('ip-addr-pretty.json').split('\n')[p.interfaces[1]!.source.line - 1]!.trim()).toBe('},{');
  });

  it('reads ip -s addr and ip -s -s -d link (counter tables, details) as the same links, without warnings', () => {
    const strip = (is: ReturnType<typeof parseIpAddr>['interfaces'], addresses: boolean) =>
      is.map((i) => ({ name: i.name, mtu: i.mtu, flags: i.flags, addresses: addresses ? i.addresses.filter((a) => a.family === 4).map((a) => a.address) : [] }));
    const t = parseIpAddr(lab('ip-addr.txt'), 't');
    for (const [file, addresses] of [['ip-addr-stats.txt', true], ['ip-link-stats-details.txt', false]] as const) {
      expect(sniffSnapshot(lab(file)), file).toBe('ip-addr');
      const s = parseIpAddr(lab(file), file);
      expect(s.warnings, file).toEqual([]);
      expect(strip(s.interfaces, addresses), file).toEqual(strip(t.interfaces, addresses));
      expect(s.interfaces.every((i) => i.mac !== null || i.name === 'lo'), file).toBe(true);
    }
  });

  it('reads ip -color=always addr (terminal colour codes) as plain ip addr, through the snapshot loader', () => {
    expect(lab('ip-addr-color.txt')).toContain('\x1b[');
    const s = loadSnapshot([join(LAB, 'ip-addr-color.txt')], { explicit: true });
    expect(s.files.map((f) => f.kind)).toEqual(['ip-addr']);
    expect(s.warnings).toEqual([]);
    const t = parseIpAddr(lab('ip-addr.txt'), 't');
    expect(s.host.interfaces.map((i) => [i.name, i.mtu, i.flags, i.addresses.filter((a) => a.family === 4).map((a) => a.address)])).toEqual(
      t.interfaces.map((i) => [i.name, i.mtu, i.flags, i.addresses.filter((a) => a.family === 4).map((a) => a.address)]),
    );
  });

  it('reads NOARP and point-to-point addresses', () => {
    const r = parseIpAddr(
      '5: tun0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1400 qdisc fq_codel state UNKNOWN group default qlen 500\n' +
        '    link/none \n    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\n       valid_lft forever preferred_lft forever\n',
      'x',
    );
    expect(r.interfaces[0]).toMatchObject({ ifindex: 5, name: 'tun0', mtu: 1400, flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], mac: null });
    expect(r.interfaces[0]!.addresses[0]).toMatchObject({ address: '10.8.0.1', v4: ip('10.8.0.1'), prefix: 32, source: { file: 'x', line: 3 } });
    expect(r.interfaces[0]!.link).toBe('none');
  });

  it('reads the link type (text link/TYPE, JSON link_type); a peer address is a host address in JSON as in text', () => {
    const text = parseIpAddr(
      '2: eth0: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n' +
        '3: ppp0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1492 qdisc fq_codel state UNKNOWN\n    link/ppp \n    inet 100.70.1.2 peer 100.70.0.1/32 scope global ppp0\n' +
        '4: gre1@NONE: <NOARP,UP,LOWER_UP> mtu 1476 qdisc noqueue state UNKNOWN\n    link/gre 192.0.2.1 peer 192.0.2.9\n',
      'x',
    );
    expect(text.interfaces.map((i) => [i.name, i.link, i.mac])).toEqual([
      ['eth0', 'ether', '02:00:00:00:00:01'],
      ['ppp0', 'ppp', null],
      ['gre1', 'gre', null],
    ]);
    const json = parseIpAddr(
      JSON.stringify([
        { ifindex: 7, ifname: 'wg0', flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1420, operstate: 'UNKNOWN', link_type: 'none',
          addr_info: [{ family: 'inet', local: '10.9.0.1', address: '10.9.0.2', prefixlen: 30, scope: 'global' }] },
        { ifindex: 8, ifname: 'net1', flags: ['BROADCAST', 'NOARP', 'UP'], mtu: 1500, operstate: 'UP', link_type: 'ether', address: '02:00:00:00:00:02',
          addr_info: [{ family: 'inet', local: '203.0.113.5', prefixlen: 24, scope: 'global' }] },
      ]),
      'j',
    );
    expect(json.interfaces.map((i) => [i.name, i.link, i.addresses[0]!.prefix])).toEqual([['wg0', 'none', 32], ['net1', 'ether', 24]]);
  });
});

describe('arpSwitchedOff', () => {
  const itf = (flags: string[], link?: string | null): HostInterface => ({
    ifindex: 1, name: 'x', mtu: 1500, flags, operState: 'UP', mac: null, link, addresses: [], source: { file: 'f', line: 1 },
  });
  it('is NOARP on a link that resolves by ARP (Ethernet, or a listing that does not say), not on a link without ARP by nature', () => {
    expect(arpSwitchedOff(itf(['BROADCAST', 'MULTICAST', 'NOARP', 'UP'], 'ether'))).toBe(true);
    expect(arpSwitchedOff(itf(['BROADCAST', 'NOARP', 'UP'], null))).toBe(true);
    expect(arpSwitchedOff(itf(['BROADCAST', 'NOARP', 'UP']))).toBe(true);
    expect(arpSwitchedOff(itf(['BROADCAST', 'MULTICAST', 'UP'], 'ether'))).toBe(false);
    expect(arpSwitchedOff(itf(['POINTOPOINT', 'NOARP', 'UP'], 'none'))).toBe(false);
    expect(arpSwitchedOff(itf(['POINTOPOINT', 'NOARP', 'UP'], null))).toBe(false);
    expect(arpSwitchedOff(itf(['NOARP', 'UP'], 'ipip'))).toBe(false);
    expect(arpSwitchedOff(itf(['LOOPBACK', 'UP'], 'loopback'))).toBe(false);
  });
});

describe('parseIpRoute (lab, table all)', () => {
  const t = parseIpRoute(lab('ip-route-all.txt'), 't');
  const j = parseIpRoute(lab('ip-route-all.json'), 'j');
  it('reads types, tables, metrics, via and src alike from text and JSON', () => {
    expect(t.warnings).toEqual([]);
    const key = (rs: typeof t.routes) => rs.filter((r) => r.family === 4).map((r) => [r.table, r.type, r.dst, r.via, r.dev, r.prefsrc, r.metric, r.proto, r.scope]);
    expect(key(j.routes)).toEqual(key(t.routes));
    const find = (s: string) => t.routes.find((r) => r.text.startsWith(s))!;
    expect(find('default')).toMatchObject({ type: 'unicast', dst: null, via: ip('198.18.5.1'), dev: 'wan0', table: 'main' });
    expect(find('10.50.0.0/16')).toMatchObject({ via: ip('192.168.77.254'), metric: 100 });
    expect(find('blackhole')).toMatchObject({ type: 'blackhole', dst: { addr: ip('10.60.0.0'), prefix: 16 } });
    expect(find('unreachable')).toMatchObject({ type: 'unreachable', metric: 5 });
    expect(find('prohibit')).toMatchObject({ type: 'prohibit' });
    expect(find('10.70.0.0/16')).toMatchObject({ table: '100', dev: 'wan0' });
    expect(find('local 198.18.5.11')).toMatchObject({ type: 'local', table: 'local', dst: { addr: ip('198.18.5.11'), prefix: 32 }, prefsrc: ip('198.18.5.10') });
    expect(t.routes.filter((r) => r.family === 6).length).toBeGreaterThan(0);
  });

  it('keeps multipath next hops', () => {
    const r = parseIpRoute('10.5.0.0/16 proto static metric 10\n\tnexthop via 10.0.4.1 dev eth0 weight 1\n\tnexthop via 10.0.4.2 dev eth0 weight 1\n', 'm');
    expect(r.routes).toHaveLength(1);
    expect(r.routes[0]).toMatchObject({ via: ip('10.0.4.1'), dev: 'eth0', metric: 10, source: { line: 1 } });
    expect(r.warnings.map((w) => w.code)).toEqual(['multipath-route']);
  });
});

describe('parseIpNeigh', () => {
  it('reads states from text and JSON (lab)', () => {
    const t = parseIpNeigh(lab('ip-neigh.txt'), 't');
    const j = parseIpNeigh(lab('ip-neigh.json'), 'j');
    expect(t.warnings).toEqual([]);
    expect(t.neighbours.map((n) => [n.address, n.dev, n.lladdr, n.states])).toEqual(j.neighbours.map((n) => [n.address, n.dev, n.lladdr, n.states]));
    expect(t.neighbours.find((n) => n.address === '192.168.77.99')).toMatchObject({ lladdr: null, states: ['INCOMPLETE'] });
    expect(t.neighbours.find((n) => n.address === '198.18.5.1')!.states).toEqual(['PERMANENT']);
    // ip -s neigh: `ref 1 used 1/61/1probes 5 INCOMPLETE` (no space before probes, as iproute2 prints it).
    expect(sniffSnapshot(lab('ip-neigh-stats.txt'))).toBe('ip-neigh');
    const s = parseIpNeigh(lab('ip-neigh-stats.txt'), 's');
    expect(s.warnings).toEqual([]);
    const key = (n: { address: string }) => n.address;
    expect(s.neighbours.map((n) => [n.address, n.dev, n.lladdr, n.states]).sort()).toEqual(t.neighbours.map((n) => [n.address, n.dev, n.lladdr, n.states]).sort());
    expect(s.neighbours.map(key).length).toBe(4);
  });

  it('reads FAILED and router entries', () => {
    const r = parseIpNeigh('203.0.113.9 dev net1 FAILED\nfe80::1 dev eth0 lladdr 52:54:00:12:34:56 router STALE\n', 'n');
    expect(r.neighbours.map((n) => [n.family, n.address, n.states, n.source.line])).toEqual([
      [4, '203.0.113.9', ['FAILED'], 1],
      [6, 'fe80::1', ['STALE'], 2],
    ]);
  });
});

describe('parseConntrack', () => {
  it('reads tuples, state, flags and mark (lab conntrack -L, footer first)', () => {
    const r = parseConntrack(lab('conntrack.txt'), 'c');
    expect(r.warnings).toEqual([]);
    const tcp = r.entries.find((e) => e.proto === 'tcp')!;
    expect(tcp).toMatchObject({
      protoNum: 6,
      state: 'ESTABLISHED',
      flags: ['ASSURED'],
      mark: 7,
      original: { src: ip('192.168.77.20'), dst: ip('203.0.113.9'), sport: 40000, dport: 443 },
      reply: { src: ip('203.0.113.9'), dst: ip('198.18.5.10'), sport: 443, dport: 61000 },
    });
    const udp = r.entries.find((e) => e.proto === 'udp')!;
    expect(udp).toMatchObject({ state: null, flags: ['UNREPLIED'], timeout: expect.any(Number) });
    const icmp = r.entries.find((e) => e.proto === 'icmp')!;
    expect(icmp.original).toMatchObject({ icmpType: 8, icmpCode: 0, sport: null });
    expect(icmp.reply.icmpType).toBe(0);
    expect(icmp.reply.icmpId).toBe(icmp.original.icmpId);
  });

  it('reads /proc/net/nf_conntrack lines and skips IPv6 with one warning', () => {
    const r = parseConntrack(
      'ipv4     2 udp      17 27 src=10.0.4.10 dst=198.51.100.29 sport=48339 dport=53 src=198.51.100.29 dst=203.0.113.71 sport=53 dport=48339 mark=0 zone=0 use=2\n' +
        'ipv6     10 udp      17 20 src=fe80::1 dst=ff02::1 sport=1 dport=2 [UNREPLIED] src=ff02::1 dst=fe80::1 sport=2 dport=1 mark=0 zone=0 use=2\n',
      'p',
    );
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ proto: 'udp', protoNum: 17, timeout: 27, reply: { dst: ip('203.0.113.71') } });
    expect(r.warnings).toEqual([{ code: 'ipv6-skipped', file: 'p', line: 2, message: expect.any(String) }]);
  });
});

describe('parseSysctl', () => {
  it('reads sysctl -a, key=value, slash keys and /proc paths', () => {
    const r = parseSysctl(
      'net.ipv4.ip_forward = 1\nnet.ipv4.conf.eth0/100.rp_filter=2\nnet/ipv4/conf/all/forwarding = 1\n' +
        '/proc/sys/net/ipv4/conf/eth0.100/forwarding:0\nsysctl: permission denied on key "x"\nnet.ipv4.ip_local_port_range = 32768\t60999\n',
      's',
    );
    expect(r.warnings).toEqual([]);
    expect([...r.sysctls.values()].map((s) => [s.key, s.value, s.source.line])).toEqual([
      ['net.ipv4.ip_forward', '1', 1],
      ['net.ipv4.conf.eth0/100.rp_filter', '2', 2],
      ['net.ipv4.conf.all.forwarding', '1', 3],
      ['net.ipv4.conf.eth0/100.forwarding', '0', 4],
      ['net.ipv4.ip_local_port_range', '32768 60999', 6],
    ]);
  });

  it('reads the lab sysctl dump', () => {
    expect(parseSysctl(lab('sysctl.txt'), 's').sysctls.get('net.ipv4.conf.lan0.rp_filter')?.value).toBe('0');
  });
});

describe('parseConntrackStats', () => {
  it('sums conntrack -S over the CPUs and cites the lines that count drops', () => {
    const r = parseConntrackStats(
      'cpu=0   \tfound=3 invalid=1 insert=0 insert_failed=2 drop=0 early_drop=5 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n' +
        'cpu=1   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=14 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n',
      's',
    );
    expect(r.warnings).toEqual([]);
    expect(r.stats).toMatchObject({ cpus: 2, drop: 14, earlyDrop: 5, insertFailed: 2, invalid: 1, source: { file: 's', line: 1 } });
    expect(r.stats!.dropLines).toEqual([{ line: 2, text: expect.stringMatching(/^cpu=1 found=0 .* drop=14 early_drop=0 /) }]);
    expect(r.stats!.invalidLines).toEqual([{ line: 1, text: expect.stringMatching(/^cpu=0 found=3 invalid=1 /) }]);
  });

  it('reads /proc/net/stat/nf_conntrack (a header, then a hexadecimal row per CPU)', () => {
    const r = parseConntrackStats(
      'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n' +
        '00000008  00000000 00000000 00000000 00000000 0000002a 00000000 00000000 00000000 00000000 0000000e 00000001 00000000  00000000 00000000 00000000 00000000\n' +
        '00000008  00000000 00000000 00000000 00000011 00000000 00000000 00000000 00000000 00000000 00000010 00000000 00000000  00000000 00000000 00000000 00000000\n',
      'p',
    );
    expect(r.warnings).toEqual([]);
    expect(r.stats).toMatchObject({ cpus: 2, drop: 14 + 16, earlyDrop: 1, invalid: 0x11, source: { line: 2 } });
    expect(r.stats!.invalidLines.map((l) => l.line)).toEqual([3]);
    expect(r.stats!.dropLines.map((l) => l.line)).toEqual([2, 3]);
  });

  it('has nothing to say of a file without a CPU line, and names the lines it cannot read', () => {
    const r = parseConntrackStats('cpu=0 found=0 drop=2\nsomething else\n', 'x');
    expect(r.stats!.drop).toBe(2);
    expect(r.warnings).toEqual([{ code: 'parse', file: 'x', line: 2, message: expect.stringContaining('something else') }]);
    expect(parseConntrackStats('\n# nothing\n', 'x').stats).toBeNull();
  });
});

describe('parseKernelLog', () => {
  it('finds "table full" in dmesg, dmesg -T, --time-format iso, journalctl -k and kern.log alike', () => {
    const lines = [
      '[ 8123.456789] nf_conntrack: nf_conntrack: table full, dropping packet',
      '[Sun Dec  6 17:12:05 2026] nf_conntrack: table full, dropping packet',
      '2026-12-06T17:12:05,123456+00:00 nf_conntrack: nf_conntrack: table full, dropping packet',
      'Dec 06 17:12:05 gw-node kernel: nf_conntrack: nf_conntrack: table full, dropping packet',
      'Dec  6 17:12:05 gw-node kernel: [ 8123.456789] nf_conntrack: nf_conntrack: table full, dropping packet',
    ];
    for (const l of lines) {
      expect(sniffSnapshot(`${l}\n`), l).toBe('kernel-log');
      expect(parseKernelLog(`${l}\n`, 'k'), l).toEqual([{ kind: 'conntrack-table-full', count: 1, lines: [{ file: 'k', line: 1, text: l }] }]);
    }
  });

  it('counts every message and keeps the first five and the last', () => {
    const text = Array.from({ length: 40 }, (_, k) => `[ ${8000 + k}.000001] nf_conntrack: nf_conntrack: table full, dropping packet`).join('\n');
    const [m] = parseKernelLog(`[ 7999.1] eth0: link up\n${text}\n`, 'k');
    expect(m!.count).toBe(40);
    expect(m!.lines.map((l) => l.line)).toEqual([2, 3, 4, 5, 6, 41]);
  });

  it('a log without such messages gives none; other files are not taken for one', () => {
    expect(parseKernelLog('[ 1.000] Linux version 6.18\n[ 2.000] eth0: link up\n', 'k')).toEqual([]);
    expect(sniffSnapshot('[ 1.000] Linux version 6.18\n[ 2.000] eth0: link up\n')).toBe('kernel-log');
    expect(sniffSnapshot('[{"ifname":"eth0","ifindex":2,"addr_info":[]}]\n')).toBe('ip-addr');
    expect(sniffSnapshot('net.netfilter.nf_conntrack_count = 8\nnet.netfilter.nf_conntrack_max = 8\n')).toBe('sysctl');
    expect(sniffSnapshot('cpu=0 found=0 invalid=0 drop=1\ncpu=1 found=0 invalid=0 drop=0\n')).toBe('conntrack-stats');
  });
});

describe('parseTcQdisc', () => {
  const listing = [
    'qdisc noqueue 0: dev lo root refcnt 2 ',
    ' Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ',
    ' backlog 0b 0p requeues 0',
    'qdisc tbf 8001: dev lan1 root refcnt 3 rate 2Mbit burst 16Kb lat 0us ',
    ' Sent 2095070 bytes 1431 pkt (dropped 78, overlimits 453 requeues 0) ',
    ' backlog 0b 0p requeues 0',
    'qdisc fq_codel 0: dev eth0 parent :1 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 ',
    ' Sent 9000 bytes 90 pkt (dropped 0, overlimits 0 requeues 0) ',
    ' backlog 0b 0p requeues 0',
    '  maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0',
    '  new_flows_len 0 old_flows_len 0',
    'qdisc ingress ffff: dev net1 parent ffff:fff1 ---------------- ',
    ' Sent 5200 bytes 60 pkt (dropped 12, overlimits 0 requeues 0) ',
    ' backlog 0b 0p requeues 0',
    '',
  ].join('\n');

  it('reads each qdisc with its device, place and drops, cited at its header and statistics lines', () => {
    const r = parseTcQdisc(listing, 'tc');
    expect(r.warnings).toEqual([]);
    expect(r.qdiscs.map((q) => [q.dev, q.kind, q.parent, q.sentPackets, q.dropped, q.source.line, q.statsLine])).toEqual([
      ['lo', 'noqueue', 'root', 0, 0, 1, 2],
      ['lan1', 'tbf', 'root', 1431, 78, 4, 5],
      ['eth0', 'fq_codel', 'parent :1', 90, 0, 7, 8],
      ['net1', 'ingress', 'parent ffff:fff1', 60, 12, 12, 13],
    ]);
    expect(r.qdiscs[3]!.text).toBe('qdisc ingress ffff: dev net1 parent ffff:fff1');
    expect(sniffSnapshot(listing)).toBe('tc-qdisc');
  });

  it('a qdisc listed without statistics (tc qdisc show, no -s) has no drop count', () => {
    const r = parseTcQdisc('qdisc htb 1: dev eth0 root refcnt 2 r2q 10 default 0x10 direct_packets_stat 0\n', 'tc');
    expect(r.qdiscs).toMatchObject([{ dev: 'eth0', kind: 'htb', dropped: null, statsLine: null }]);
  });

  it('one combined file with a `$ tc -s qdisc show` heading reads its section as tc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-tc-'));
    try {
      writeFileSync(join(dir, 'state.txt'), `$ sysctl net.ipv4.ip_forward\nnet.ipv4.ip_forward = 1\n$ tc -s qdisc show\n${listing}`);
      const snap = loadSnapshot([join(dir, 'state.txt')], { explicit: true });
      expect(snap.files[0]).toMatchObject({ kind: 'combined', sections: ['sysctl', 'tc-qdisc'] });
      expect(snap.host.qdiscs.find((q) => q.kind === 'tbf')).toMatchObject({ dev: 'lan1', dropped: 78, source: { line: 7 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
