/**
 * The simulator's NAT choices against a real kernel. A throwaway network namespace plays the gateway, packets
 * are sent through it from a second namespace, and `conntrack -L` says what the kernel chose (the reply tuple
 * of each connection); the snapshot of that same namespace, read by the real parsers, must make the simulator
 * predict the same. Covered: MASQUERADE's choice among several primary and secondary addresses
 * (inet_select_addr), DNAT to a port range (first port, or the port kept when already inside), SNAT to a port
 * range; and, by the FORWARD counter of a counting rule, the rp_filter (strict, loose, max of all/iface)
 * and forwarding gates (the ingress interface's value decides) and the egress MTU check (before FORWARD).
 * Needs root, iproute2, iptables-legacy, conntrack, socat and ping; skipped without them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/model/address.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { bundleFiles } from '../../src/ingest/bundle-files.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';

const TOOLS = ['ip', 'iptables-legacy-restore', 'iptables-legacy-save', 'conntrack', 'socat', 'ping', 'sysctl'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);
if (process.getuid?.() !== 0) missing.push('root');
const AVAILABLE = missing.length === 0;

const GW = `nlsim${process.pid}gw`;
const CL = `nlsim${process.pid}cl`;
const UP = `nlsim${process.pid}up`;

function sh(args: string[], ns?: string, input?: string): string {
  const cmd = ns ? ['ip', 'netns', 'exec', ns, ...args] : args;
  return execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function tryRun(args: string[], ns: string): void {
  spawnSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'ignore', timeout: 10_000 });
}

const RULES = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -s 172.31.0.5/32
-A FORWARD -s 172.31.0.5/32
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i dn3 -p udp -m udp --dport 7000:7100 -j DNAT --to-destination 10.200.0.77:7000-7100
-A PREROUTING -i dn3 -p udp -m udp --dport 6000 -j DNAT --to-destination 10.200.0.78:9000-9010
-A POSTROUTING -o up7 -p icmp -j MASQUERADE
-A POSTROUTING -o up7 -p udp -j SNAT --to-source 100.66.5.9:20000-20100
COMMIT
`;

interface Reply {
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
}

/** The reply tuple of the conntrack entry whose original tuple starts with `src=A dst=B` (and `dport=P`). */
function replyTuple(table: string, proto: string, src: string, dst: string, dport?: number): Reply {
  for (const line of table.split('\n')) {
    if (!line.startsWith(proto)) continue;
    const srcs = [...line.matchAll(/src=(\S+)/g)].map((m) => m[1]!);
    const dsts = [...line.matchAll(/dst=(\S+)/g)].map((m) => m[1]!);
    const sports = [...line.matchAll(/sport=(\d+)/g)].map((m) => Number(m[1]));
    const dports = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
    if (srcs[0] !== src || dsts[0] !== dst) continue;
    if (dport !== undefined && dports[0] !== dport) continue;
    return { src: parseIpv4(srcs[1]!), dst: parseIpv4(dsts[1]!), sport: sports[1] ?? 0, dport: dports[1] ?? 0 };
  }
  throw new Error(`no conntrack entry for ${proto} ${src} → ${dst}${dport ? `:${dport}` : ''} in\n${table}`);
}

describe.skipIf(!AVAILABLE)('simulate against a real kernel', () => {
  let snap: Snapshot;
  let ct = '';

  beforeAll(() => {
    sh(['ip', 'netns', 'add', GW]);
    sh(['ip', 'netns', 'add', CL]);
    sh(['ip', 'link', 'add', 'dn3', 'netns', GW, 'type', 'veth', 'peer', 'name', 'c0', 'netns', CL]);
    sh(['ip', 'addr', 'add', '192.168.50.10/24', 'dev', 'c0'], CL);
    sh(['ip', 'link', 'set', 'c0', 'up'], CL);
    sh(['ip', 'link', 'set', 'lo', 'up'], CL);
    sh(['ip', 'route', 'add', 'default', 'via', '192.168.50.1'], CL);
    sh(['ip', 'addr', 'add', '192.168.50.1/24', 'dev', 'dn3'], GW);
    sh(['ip', 'link', 'set', 'dn3', 'up'], GW);
    sh(['ip', 'link', 'set', 'lo', 'up'], GW);
    // An uplink nobody answers on: packets leave (and wait for ARP in vain) after POSTROUTING, where conntrack
    // has already confirmed the connection with the kernel's NAT choice. The first primary address is
    // deliberately not the one in the next hop's subnet, and the next hop's subnet has a secondary too.
    sh(['ip', 'netns', 'add', UP]);
    sh(['ip', 'link', 'add', 'up7', 'netns', GW, 'type', 'veth', 'peer', 'name', 'x0', 'netns', UP]);
    sh(['ip', 'link', 'set', 'x0', 'up'], UP);
    sh(['ip', 'addr', 'add', '10.200.0.2/16', 'dev', 'up7'], GW);
    sh(['ip', 'addr', 'add', '100.66.5.2/24', 'dev', 'up7'], GW);
    sh(['ip', 'addr', 'add', '100.66.5.3/24', 'dev', 'up7'], GW);
    sh(['ip', 'link', 'set', 'up7', 'up'], GW);
    sh(['ip', 'route', 'add', 'default', 'via', '100.66.5.1', 'dev', 'up7'], GW);
    // The route back to 172.31.0.0/16 leaves by up7, so a packet from there arriving on dn3 fails strict rp_filter.
    sh(['ip', 'route', 'add', '172.31.0.0/16', 'via', '100.66.5.1', 'dev', 'up7'], GW);
    sh(['ip', 'addr', 'add', '172.31.0.5/32', 'dev', 'c0'], CL);
    sh(['sysctl', '-qw', 'net.ipv4.ip_forward=1'], GW);
    for (const k of ['all', 'default', 'dn3', 'up7']) sh(['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`], GW);
    sh(['iptables-legacy-restore'], GW, RULES);

    tryRun(['ping', '-c', '1', '-W', '1', '198.51.100.7'], CL);
    tryRun(['ping', '-c', '1', '-W', '1', '10.200.0.50'], CL);
    for (const [dport, sport] of [
      [7050, 20050],
      [6000, 5555],
    ] as const) {
      spawnSync('ip', ['netns', 'exec', CL, 'socat', '-u', 'STDIN', `UDP4-SENDTO:198.51.100.7:${dport},sourceport=${sport}`], { input: 'x', timeout: 10_000 });
    }
    ct = sh(['conntrack', '-L'], GW);

    snap = snapshotNow();
  }, 60_000);

  /** What `natlens` would be given: the gateway namespace's state right now. */
  function snapshotNow(): Snapshot {
    const dir = mkdtempSync(join(tmpdir(), 'natlens-kernel-'));
    writeFileSync(join(dir, 'iptables-save.txt'), sh(['iptables-legacy-save', '-c'], GW));
    writeFileSync(join(dir, 'sysctl.txt'), sh(['sysctl', '-a'], GW).split('\n').filter((l) => l.startsWith('net.ipv4.')).join('\n') + '\n');
    writeFileSync(join(dir, 'ip-addr.json'), sh(['ip', '-j', 'addr'], GW));
    writeFileSync(join(dir, 'ip-route.json'), sh(['ip', '-j', 'route'], GW));
    return loadSnapshot(bundleFiles(dir).files, { explicit: false });
  }

  /** Ping from 172.31.0.5 through the gateway; how many packets reached mangle PREROUTING and FORWARD. */
  function pingCounts(extra: string[] = []): { prerouting: number; forward: number } {
    sh(['iptables-legacy', '-t', 'mangle', '-Z'], GW);
    tryRun(['ping', '-c', '1', '-W', '1', ...extra, '-I', '172.31.0.5', '198.51.100.8'], CL);
    const count = (chain: string): number => {
      const out = sh(['iptables-legacy', '-t', 'mangle', '-L', chain, '-v', '-x', '-n'], GW);
      const row = out.split('\n').find((l) => l.includes('172.31.0.5'));
      return Number(row?.trim().split(/\s+/)[0] ?? NaN);
    };
    return { prerouting: count('PREROUTING'), forward: count('FORWARD') };
  }

  function sysctls(settings: Record<string, string>): void {
    for (const [k, v] of Object.entries(settings)) sh(['sysctl', '-qw', `${k}=${v}`], GW);
  }

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', GW]);
    spawnSync('ip', ['netns', 'del', CL]);
    spawnSync('ip', ['netns', 'del', UP]);
  });

  const from = parseIpv4('192.168.50.10');

  it('MASQUERADE picks the primary address in the next hop\'s subnet, not the first one', () => {
    const kernel = replyTuple(ct, 'icmp', '192.168.50.10', '198.51.100.7');
    expect(kernel.dst).toBe(parseIpv4('100.66.5.2'));
    const tr = simulate(simPacket({ ingress: 'dn3', src: from, dst: parseIpv4('198.51.100.7'), proto: 1, icmpId: 1 }), snap);
    expect(tr.disposition.kind === 'forwarded' && tr.disposition.out.src).toBe(kernel.dst);
  });

  it('MASQUERADE to an on-link destination picks the address of that subnet', () => {
    const kernel = replyTuple(ct, 'icmp', '192.168.50.10', '10.200.0.50');
    expect(kernel.dst).toBe(parseIpv4('10.200.0.2'));
    const tr = simulate(simPacket({ ingress: 'dn3', src: from, dst: parseIpv4('10.200.0.50'), proto: 1, icmpId: 1 }), snap);
    expect(tr.disposition.kind === 'forwarded' && tr.disposition.out.src).toBe(kernel.dst);
  });

  it('DNAT to a port range keeps a port already inside it; SNAT to a range keeps one inside it too', () => {
    const kernel = replyTuple(ct, 'udp', '192.168.50.10', '198.51.100.7', 7050);
    const tr = simulate(simPacket({ ingress: 'dn3', src: from, dst: parseIpv4('198.51.100.7'), proto: 17, sport: 20050, dport: 7050 }), snap);
    expect(tr.disposition.kind).toBe('forwarded');
    if (tr.disposition.kind !== 'forwarded') return;
    // Reply tuple: src = where the packet went, dst = the source it left with.
    expect([tr.disposition.out.dst, tr.disposition.out.dport]).toEqual([kernel.src, kernel.sport]);
    expect([tr.disposition.out.src, tr.disposition.out.sport]).toEqual([kernel.dst, kernel.dport]);
  });

  it('DNAT to a port range from outside it starts at the first port; SNAT from outside its range picks within it', () => {
    const kernel = replyTuple(ct, 'udp', '192.168.50.10', '198.51.100.7', 6000);
    const tr = simulate(simPacket({ ingress: 'dn3', src: from, dst: parseIpv4('198.51.100.7'), proto: 17, sport: 5555, dport: 6000 }), snap);
    expect(tr.disposition.kind).toBe('forwarded');
    if (tr.disposition.kind !== 'forwarded') return;
    expect([tr.disposition.out.dst, tr.disposition.out.dport]).toEqual([kernel.src, kernel.sport]);
    expect(tr.disposition.out.src).toBe(kernel.dst);
    // The kernel starts a source mapping at a random offset: only the range is certain, and the trace says so.
    expect(kernel.dport).toBeGreaterThanOrEqual(20000);
    expect(kernel.dport).toBeLessThanOrEqual(20100);
    expect(tr.disposition.portsMayChange).toBe(true);
  });

  // Each case sets every sysctl it depends on, sends one ping, and compares the kernel's FORWARD counter with
  // the simulator's verdict on a snapshot taken right then.
  const gateCases: { name: string; set: Record<string, string>; forwarded: boolean; reason?: string; cites?: string }[] = [
    { name: 'rp_filter 0 forwards', set: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.dn3.rp_filter': '0' }, forwarded: true },
    {
      name: 'strict rp_filter on the ingress drops a source routed back out another interface',
      set: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.dn3.rp_filter': '1' },
      forwarded: false,
      reason: 'rp-filter',
      cites: 'net.ipv4.conf.dn3.rp_filter',
    },
    {
      name: 'the effective rp_filter is max(all, iface): all=2 makes it loose, which passes',
      set: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2', 'net.ipv4.conf.dn3.rp_filter': '1' },
      forwarded: true,
    },
    {
      name: 'conf.<in>.forwarding = 0 stops forwarding even with ip_forward = 1',
      set: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.dn3.rp_filter': '0', 'net.ipv4.conf.dn3.forwarding': '0' },
      forwarded: false,
      reason: 'ip-forward-disabled',
      cites: 'net.ipv4.conf.dn3.forwarding',
    },
    {
      name: 'ip_forward = 0 stops forwarding',
      set: { 'net.ipv4.ip_forward': '0' },
      forwarded: false,
      reason: 'ip-forward-disabled',
      cites: 'net.ipv4.ip_forward',
    },
    {
      name: 'conf.<in>.forwarding = 1 after ip_forward = 0: the ingress value is the one the kernel reads',
      set: { 'net.ipv4.ip_forward': '0', 'net.ipv4.conf.dn3.forwarding': '1' },
      forwarded: true,
    },
  ];
  for (const c of gateCases) {
    it(c.name, () => {
      sysctls(c.set);
      const counts = pingCounts();
      expect(counts.prerouting).toBe(1);
      expect(counts.forward).toBe(c.forwarded ? 1 : 0);
      const now = snapshotNow();
      const tr = simulate(simPacket({ ingress: 'dn3', src: parseIpv4('172.31.0.5'), dst: parseIpv4('198.51.100.8'), proto: 1, icmpId: 1 }), now);
      expect(tr.disposition.kind).toBe(c.forwarded ? 'forwarded' : 'dropped');
      if (tr.disposition.kind === 'dropped') {
        expect(tr.disposition.reason).toBe(c.reason);
        expect(tr.disposition.source).toEqual(now.host.sysctls.get(c.cites!)?.source);
      }
    });
  }

  it('the MTU check comes before the FORWARD hook: a DF packet over the egress MTU never reaches FORWARD', () => {
    sysctls({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.dn3.forwarding': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.dn3.rp_filter': '0' });
    sh(['ip', 'link', 'set', 'up7', 'mtu', '1000'], GW);
    try {
      const now = snapshotNow();
      const big = { ingress: 'dn3', src: parseIpv4('172.31.0.5'), dst: parseIpv4('198.51.100.8'), proto: 1, icmpId: 1, size: 1228 };
      expect(pingCounts(['-s', '1200', '-M', 'do'])).toEqual({ prerouting: 1, forward: 0 });
      expect(simulate(simPacket({ ...big, df: true }), now).disposition).toMatchObject({ kind: 'dropped', reason: 'mtu-exceeded', icmpBack: { type: 3, code: 4, mtu: 1000 } });
      expect(pingCounts(['-s', '1200', '-M', 'dont'])).toEqual({ prerouting: 1, forward: 1 });
      expect(simulate(simPacket({ ...big, df: false }), now).disposition.kind).toBe('forwarded');
    } finally {
      sh(['ip', 'link', 'set', 'up7', 'mtu', '1500'], GW);
    }
  });
});
