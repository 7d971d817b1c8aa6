/**
 * The main routing table and the neighbour cache as net-tools print them (`route -n`, `netstat -rn`, `arp -n`,
 * `arp -an`), read as `ip route` and `ip neigh` would have given them: with this machine's net-tools and iproute2 as
 * the oracle, in a network namespace of our own (a gateway route, a metric, a host route, an unreachable and a
 * blackhole route; permanent, stale, incomplete and failed neighbours), and on real field sets whose `ip route` and
 * `ip neigh` are given only as `route -n` and `arp -n`. `ifconfig` is recognised and refused, saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpNeigh } from '../../src/gateway/ip-neigh.js';
import { parseIpRoute } from '../../src/gateway/ip-route.js';
import { parseArpN, parseRouteN } from '../../src/gateway/net-tools.js';
import { sniffDetail, sniffSnapshot } from '../../src/gateway/sniff.js';
import { analyze } from '../../src/index.js';
import type { Neighbour, Route } from '../../src/model/host.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

// Under this file's own TMPDIR (test/support/temp-root.ts removes it).
const tmp = mkdtempSync(join(tmpdir(), 'natlens-net-tools-'));

/** What a route says, whatever printed it. */
const route = (r: Route) => ({ type: r.type, dst: r.dst, via: r.via, dev: r.dev, metric: r.metric, table: r.table });
/** What a neighbour entry says; net-tools tells only complete, incomplete (FAILED too) and permanent apart. */
const neighbour = (n: Neighbour) => ({
  address: n.address,
  dev: n.dev,
  lladdr: n.lladdr,
  state: n.states.includes('PERMANENT') ? 'PERMANENT' : n.states.some((s) => s === 'INCOMPLETE' || s === 'FAILED') ? 'INCOMPLETE' : 'COMPLETE',
});

describe('route -n, netstat -rn, arp -n and arp -an as they print (net-tools 2.10)', () => {
  const routeN = [
    'Kernel IP routing table',
    'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
    '0.0.0.0         10.61.0.254     0.0.0.0         UG    0      0        0 nt0',
    '10.61.0.0       0.0.0.0         255.255.255.0   U     0      0        0 nt0',
    '192.0.2.0       10.61.0.2       255.255.255.0   UG    100    0        0 nt0',
    '198.51.100.7    0.0.0.0         255.255.255.255 UH    0      0        0 nt0',
    '203.0.113.0     -               255.255.255.0   !     0      -        0 -',
    '203.0.114.0     0.0.0.0         255.255.255.0   U     0      0        0 *',
  ].join('\n');
  const arpN = [
    'Address                  HWtype  HWaddress           Flags Mask            Iface',
    '10.61.0.254              ether   02:00:5e:00:53:01   CM                    nt0',
    '10.61.0.77                       (incomplete)                              nt0',
    '10.61.0.9                ether   02:00:5e:00:53:09   C                     nt0',
  ].join('\n');
  const arpAn = ['? (10.61.0.254) at 02:00:5e:00:53:01 [ether] PERM on nt0', '? (10.61.0.77) at <incomplete> on nt0', '? (10.61.0.9) at 02:00:5e:00:53:09 [ether] on nt0'].join('\n');

  it('route -n: each row a route of the main table, written as ip route would, on its line', () => {
    expect(sniffSnapshot(routeN)).toBe('route-n');
    const r = parseRouteN(routeN, 'route-n.txt');
    expect(r.routes.map((x) => [x.text, x.type, x.source.line])).toEqual([
      ['default via 10.61.0.254 dev nt0', 'unicast', 3],
      ['10.61.0.0/24 dev nt0 scope link', 'unicast', 4],
      ['192.0.2.0/24 via 10.61.0.2 dev nt0 metric 100', 'unicast', 5],
      ['198.51.100.7/32 dev nt0 scope link', 'unicast', 6],
      ['unreachable 203.0.113.0/24', 'unreachable', 7],
      ['blackhole 203.0.114.0/24', 'blackhole', 8],
    ]);
    // The one thing route -n does not say: which kind of rejecting route.
    expect(r.warnings.map((w) => [w.line, w.message])).toEqual([[7, expect.stringContaining('rejecting (!) without saying how')]]);
  });

  it('arp -n and arp -an: the same entries', () => {
    expect(sniffSnapshot(arpN)).toBe('arp-n');
    expect(sniffSnapshot(arpAn)).toBe('arp-n');
    const a = parseArpN(arpN, 'arp-n.txt');
    const b = parseArpN(arpAn, 'arp-an.txt');
    expect(a.warnings).toEqual([]);
    expect(b.warnings).toEqual([]);
    expect(a.neighbours.map((n) => [n.address, n.dev, n.lladdr, n.states])).toEqual([
      ['10.61.0.254', 'nt0', '02:00:5e:00:53:01', ['PERMANENT']],
      ['10.61.0.77', 'nt0', null, ['INCOMPLETE']],
      ['10.61.0.9', 'nt0', '02:00:5e:00:53:09', ['COMPLETE']],
    ]);
    expect(b.neighbours.map(neighbour)).toEqual(a.neighbours.map(neighbour));
  });

  it('ifconfig, in either format, is recognised and refused, saying why', () => {
    const modern = 'eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet 10.0.4.254  netmask 255.255.255.0  broadcast 10.0.4.255\n        ether 66:71:19:9a:78:1c  txqueuelen 1000  (Ethernet)\n';
    const old = 'eth0      Link encap:Ethernet  HWaddr 66:71:19:9A:78:1C\n          inet addr:10.0.4.254  Bcast:10.0.4.255  Mask:255.255.255.0\n          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n';
    for (const text of [modern, old]) {
      const s = sniffDetail(text);
      expect(s.kind).toBe('ignored');
      expect(s.reason).toMatch(/^ifconfig output, which natlens does not read: it shows one IPv4 address per interface.*give ip addr/);
      expect(s.line).toBe(1);
    }
  });
});

const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0 && spawnSync('sh', ['-c', 'command -v route && command -v arp && command -v netstat']).status === 0;
const NS = `nlnt${process.pid}`;

describe.skipIf(!canNetns)('route -n, netstat -rn, arp -n and arp -an against ip route and ip neigh, in a namespace of our own', () => {
  const inNs = (...cmd: string[]): string => execFileSync('ip', ['netns', 'exec', NS, ...cmd], { encoding: 'utf8' });
  beforeAll(() => {
    const sh = (cmd: string): void => void execFileSync('sh', ['-c', cmd]);
    sh(`ip netns add ${NS}`);
    sh(`ip -n ${NS} link add nt0 type veth peer name nt1 && ip -n ${NS} link set nt0 up && ip -n ${NS} link set nt1 up`);
    sh(`ip -n ${NS} addr add 10.61.0.1/24 dev nt0 && ip -n ${NS} addr add 172.30.5.1/16 dev nt1`);
    sh(`ip -n ${NS} route add default via 10.61.0.254 dev nt0 && ip -n ${NS} route add 192.0.2.0/24 via 10.61.0.2 metric 100`);
    sh(`ip -n ${NS} route add 198.51.100.7 dev nt1 && ip -n ${NS} route add unreachable 203.0.113.0/24 && ip -n ${NS} route add blackhole 203.0.114.0/24`);
    sh(`ip -n ${NS} neigh add 10.61.0.254 lladdr 02:00:5e:00:53:01 dev nt0 nud permanent && ip -n ${NS} neigh add 10.61.0.9 lladdr 02:00:5e:00:53:09 dev nt0 nud stale`);
    sh(`ip -n ${NS} neigh add 10.61.0.77 dev nt0 nud incomplete && ip -n ${NS} neigh add 172.30.9.9 dev nt1 nud failed`);
    sh(`ip -n ${NS} neigh add 172.30.0.3 lladdr 02:00:5e:00:53:03 dev nt1 nud reachable`);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('the main table, route by route', () => {
    const ip = parseIpRoute(inNs('ip', 'route'), 'ip-route.txt').routes.map(route);
    for (const cmd of [['route', '-n'], ['netstat', '-rn']]) {
      const text = inNs(...cmd);
      expect(sniffSnapshot(text), cmd.join(' ')).toBe('route-n');
      const r = parseRouteN(text, 'x');
      expect(r.routes.map(route), cmd.join(' ')).toEqual(cmd[0] === 'route' ? ip : ip.map((x) => ({ ...x, metric: 0 })));
    }
  });

  it('the neighbour cache, entry by entry', () => {
    const ip = parseIpNeigh(inNs('ip', 'neigh'), 'ip-neigh.txt').neighbours.map(neighbour);
    const sorted = (xs: ReturnType<typeof neighbour>[]) => [...xs].sort((a, b) => (a.address < b.address ? -1 : 1));
    for (const cmd of [['arp', '-n'], ['arp', '-an']]) {
      const text = inNs(...cmd);
      expect(sniffSnapshot(text), cmd.join(' ')).toBe('arp-n');
      const r = parseArpN(text, 'x');
      expect(r.warnings, cmd.join(' ')).toEqual([]);
      expect(sorted(r.neighbours.map(neighbour)), cmd.join(' ')).toEqual(sorted(ip));
    }
  });
});

const dnat = fieldSets().find((s) => s.name === 'dnat-wrong-backend');
const forwardOff = fieldSets().find((s) => s.name === 'ip-forward-off');

/** `route -n` for a field set, from its own `ip -j route` (the main table; route -n lists nothing else). */
function routeNOf(dir: string): string {
  const rows = parseIpRoute(readFileSync(join(dir, 'ip-route.json'), 'utf8'), 'j').routes.filter((r) => r.family === 4 && r.table === 'main');
  const q = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const mask = (p: number) => q(p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);
  const lines = rows.map((r) => [q(r.dst?.addr ?? 0), r.via === null ? '0.0.0.0' : q(r.via), mask(r.dst?.prefix ?? 0), r.via === null ? 'U' : 'UG', String(r.metric), '0', '0', r.dev ?? '*'].join('  '));
  return ['Kernel IP routing table', 'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface', ...lines].join('\n') + '\n';
}

/** `arp -n` for a field set, from its own `ip -j neigh`. */
function arpNOf(dir: string): string {
  const rows = parseIpNeigh(readFileSync(join(dir, 'ip-neigh.json'), 'utf8'), 'j').neighbours.filter((n) => n.family === 4);
  const lines = rows.map((n) =>
    n.lladdr ? `${n.address.padEnd(25)}ether   ${n.lladdr}   ${n.states.includes('PERMANENT') ? 'CM' : 'C'}                     ${n.dev}` : `${n.address.padEnd(25)}        (incomplete)                              ${n.dev}`,
  );
  return ['Address                  HWtype  HWaddress           Flags Mask            Iface', ...lines].join('\n') + '\n';
}

describe.skipIf(!dnat || !forwardOff)('field sets whose routes and neighbours are given as route -n and arp -n', () => {
  it.each([dnat, forwardOff].filter((s) => s !== undefined).map((s) => [s.name, s.dir] as const))('%s: the same findings and flows', async (name, dir) => {
    const original = await analyze([dir]);
    const edited = editedBundle(dir, join(tmp, name), { 'ip-route.json': null, 'ip-route.txt': null, 'ip-neigh.json': null }, { 'route-n.txt': Buffer.from(routeNOf(dir)), 'arp-n.txt': Buffer.from(arpNOf(dir)) });
    const a = await analyze([edited]);
    expect(a.inputs.filter((i) => /route-n|arp-n/.test(i.path)).map((i) => i.kind)).toEqual(['snapshot', 'snapshot']);
    expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
    expect(a.flows.map((f) => [f.id, f.disposition, f.expected?.src, f.expected?.dst])).toEqual(original.flows.map((f) => [f.id, f.disposition, f.expected?.src, f.expected?.dst]));
    if (name === 'dnat-wrong-backend') {
      // The backend that never answered, cited from arp -n.
      expect(a.findings[0]!.evidence.some((e) => e.kind === 'neighbour' && e.file.endsWith('arp-n.txt') && e.text.includes('10.0.4.99'))).toBe(true);
    }
  });
});
