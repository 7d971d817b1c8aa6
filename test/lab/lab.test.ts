/**
 * The netns lab verified by its own captures: each scenario must show, in what tcpdump/dumpcap recorded
 * on the gateway, the symptom /work/shared/FAILURES.md describes for its check (read back with tshark, not
 * with natlens), and its snapshot must hold the state that explains it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  count, echoReply, echoRequest, arpReplyFrom, arpRequestFor, loadLabBundle, on, tcpSyn, type LabBundle,
  type LabPacket,
} from './lab-captures.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labMissing, labOutput, labScenarioNames, readLabJson, readScenarios } from './lab-output.js';

/** An interface's name as sysctl spells it in a key: a VLAN-style eth0.100 is eth0/100. */
const sysctlName = (iface: string): string => iface.replace(/\./g, '/');
import { HAVE_TSHARK } from '../support/tshark.js';

const here = dirname(fileURLToPath(import.meta.url));
const FAILURES_MD = join(here, '..', '..', '..', 'shared', 'FAILURES.md');

const scenarios = readScenarios();

describe('lab scenario catalogue', () => {
  it('lab.sh and scenarios.json name the same scenarios', () => {
    expect(labScenarioNames().sort()).toEqual(Object.keys(scenarios).sort());
  });

  it.skipIf(!existsSync(FAILURES_MD))('covers every check id of FAILURES.md', () => {
    const ids = [...readFileSync(FAILURES_MD, 'utf8').matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(13);
    const covered = new Set(Object.values(scenarios).map((s) => s.check));
    expect(ids.filter((id) => !covered.has(id))).toEqual([]);
  });

  it('varies the plan and the capture formats, never the field names', () => {
    const all = Object.values(scenarios);
    expect(new Set(all.map((s) => s.plan)).size).toBeGreaterThanOrEqual(2);
    for (const fmt of ['pcap', 'pcap-nano', 'pcapng', 'pcapng-multi', 'any', 'any-v1']) expect(all.some((s) => s.capture === fmt)).toBe(true);
  });
});

const missing = labMissing();
if (missing.length > 0) console.warn(`netns lab skipped: missing ${missing.join(', ')}`);

describe.skipIf(!LAB_AVAILABLE)('netns lab captures', () => {
  let out = '';
  const bundles = new Map<string, LabBundle>();
  const bundle = (name: string): LabBundle => {
    let b = bundles.get(name);
    if (!b) {
      b = loadLabBundle(join(out, name));
      bundles.set(name, b);
    }
    return b;
  };

  beforeAll(async () => {
    out = await labOutput();
  }, LAB_WAIT_MS);

  it.each(Object.keys(scenarios))('%s: a bundle laid out like the field, with its plan and format', (name) => {
    const b = bundle(name);
    const want = scenarios[name]!;
    expect(b.lab.scenario).toBe(name);
    expect(b.lab.check).toBe(want.check);
    expect(b.lab.plan).toBe(want.plan);
    expect(b.lab.capture).toBe(want.capture);
    expect([b.lab.inside, b.lab.outside]).not.toContain('eth0');
    expect([b.lab.inside, b.lab.outside]).not.toContain('net1');
    for (const f of ['iptables-save.txt', 'iptables-nat-L.txt', 'iptables-filter-L.txt', 'sysctl.txt', 'ip-addr.json',
      'ip-addr.txt', 'ip-route.json', 'ip-route.txt', 'ip-neigh.json', 'conntrack.txt']) {
      expect(existsSync(join(b.dir, f)), f).toBe(true);
    }
    // Format magic: classic pcap µs a1b2c3d4 / ns a1b23c4d (little-endian on disk), pcapng SHB 0a0d0d0a.
    const expectedFiles = {
      pcap: [[`${b.lab.inside}.pcap`, 'd4c3b2a1'], [`${b.lab.outside}.pcap`, 'd4c3b2a1']],
      'pcap-nano': [[`${b.lab.inside}.pcap`, '4d3cb2a1'], [`${b.lab.outside}.pcap`, '4d3cb2a1']],
      pcapng: [[`${b.lab.inside}.pcapng`, '0a0d0d0a'], [`${b.lab.outside}.pcapng`, '0a0d0d0a']],
      'pcapng-multi': [['gateway.pcapng', '0a0d0d0a']],
      any: [['any.pcap', 'd4c3b2a1']],
      'any-v1': [['any.pcap', 'd4c3b2a1']],
    }[b.lab.capture].filter(([f]) => !(want.notCaptured && f!.startsWith(`${b.lab[want.notCaptured]}.`)));
    expect(Object.entries(b.magic).sort()).toEqual([...expectedFiles].sort());
    if (b.lab.capture === 'pcapng') {
      // dumpcap records the interface name in the IDB.
      for (const p of b.packets) expect(p.pcapngIfName).toBe(p.file.replace('.pcapng', ''));
    }
    if (b.lab.capture === 'pcapng-multi') {
      // One file, an IDB per interface: each packet names its own, and both sides are there.
      for (const p of b.packets) expect([b.lab.inside, b.lab.outside]).toContain(p.pcapngIfName);
      expect(count(b, on(b.lab.inside))).toBeGreaterThan(0);
      expect(count(b, on(b.lab.outside))).toBeGreaterThan(0);
    }
    // LINUX_SLL2 for -i any, LINUX_SLL (v1) for -i any -y LINUX_SLL, Ethernet per interface.
    // Raw IP (101) for the outside of the point-to-point scenarios: a tun link has no link-layer header.
    const pointToPoint = name.startsWith('point-to-point');
    for (const [f, type] of Object.entries(b.linkType)) {
      expect(type, f).toBe(b.lab.capture === 'any' ? 276 : b.lab.capture === 'any-v1' ? 113 : pointToPoint && f.startsWith(`${b.lab.outside}.`) ? 101 : 1);
    }
    if (b.lab.capture === 'any' || b.lab.capture === 'any-v1') {
      // Both gateway interfaces resolved: from the SLL2 ifindex, or the v1 link-layer address, through the snapshot
      // (but one whose link carried nothing).
      for (const role of ['inside', 'outside'] as const) if (want.quiet !== role) expect(count(b, on(b.lab[role])), role).toBeGreaterThan(0);
    }
  });

  it.each(Object.keys(scenarios))('%s: the captures show the symptom', (name) => {
    const b = bundle(name);
    const symptom = SYMPTOMS[name];
    expect(symptom, `no symptom check for ${name}`).toBeDefined();
    symptom!(b);
  });
});

// The bundled samples (made by make-samples.sh from this lab) must keep showing what their README says,
// checked the same way; this needs only tshark, not root.
const SAMPLES_DIR = join(here, '..', '..', 'samples');
const sampleNames = existsSync(SAMPLES_DIR)
  ? readdirSync(SAMPLES_DIR).filter((d) => existsSync(join(SAMPLES_DIR, d, 'lab.json'))).sort()
  : [];

describe.skipIf(!HAVE_TSHARK)('bundled samples', () => {
  it('include the seed incident that npm start analyzes', () => {
    expect(sampleNames).toContain('seed-incident');
    expect(readLabJson(join(SAMPLES_DIR, 'seed-incident')).check).toBe('ip-forward-disabled');
  });

  it.each(sampleNames)('%s: a small bundle with a one-line README, showing its symptom', (name) => {
    const dir = join(SAMPLES_DIR, name);
    const readme = readFileSync(join(dir, 'README'), 'utf8');
    expect(readme.trim().split('\n')).toHaveLength(1);
    const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeLessThan(100_000);
    const b = loadLabBundle(dir);
    SYMPTOMS[b.lab.scenario]!(b);
  });
});

// ------------------------------------------------------------------------------------------------ symptoms

const file = (b: LabBundle, name: string): string => readFileSync(join(b.dir, name), 'utf8');
const sysctl = (b: LabBundle, key: string): string | undefined =>
  file(b, 'sysctl.txt').match(new RegExp(`^${key.replace(/\./g, '\\.')} = (\\S+)$`, 'm'))?.[1];
/** [packets, bytes] of the iptables-save -c line containing `needle`. */
const counters = (b: LabBundle, needle: string): [number, number] => {
  const line = file(b, 'iptables-save.txt').split('\n').find((l) => l.includes(needle));
  const m = line?.match(/^\[(\d+):(\d+)\]/);
  if (!m) throw new Error(`no counted rule containing ${needle}`);
  return [Number(m[1]), Number(m[2])];
};
const ipToInt = (a: string): number => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
const inCidr = (addr: string, cidr: string): boolean => {
  if (addr === '') return false;
  const [net, len = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  return Math.floor(ipToInt(addr) / size) === Math.floor(ipToInt(net!) / size);
};
const privateOn = (b: LabBundle, ifName: string): number =>
  count(b, on(ifName), (p: LabPacket) => inCidr(p.src, b.lab.addresses.insideCidr) || inCidr(p.dst, b.lab.addresses.insideCidr));

/** Healthy forwarding, shared by both healthy plans and used as the control in fault scenarios. */
function expectClientToEipDelivered(b: LabBundle): void {
  const { inside: I, outside: E, addresses: a } = b.lab;
  const sent = count(b, on(E, 'in'), echoRequest(a.client, a.eip));
  expect(sent).toBeGreaterThanOrEqual(5);
  expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(sent);
  expect(count(b, on(E, 'out'), echoReply(a.eip, a.client))).toBe(sent);
}

/**
 * app2 cut off by a blocklist (raw-blocklist, ipset-blocklist): its pings stop silently on I, its answers to the port
 * forwards never leave E (the requests cross, DNATed); app's traffic and the client's to the EIP pass.
 */
function expectApp2CutOff(b: LabBundle): void {
  const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E), (p) => p.src === a.app2 || (p.src === a.eip2 && p.dst === a.remote))).toBe(0);
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBeGreaterThanOrEqual(2);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.dst === a.client)).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expectClientToEipDelivered(b);
}

function expectHealthy(b: LabBundle, o: { statelessFip?: boolean } = {}): void {
  const { inside: I, outside: E, addresses: a, ports } = b.lab;
  // The floating IP: app's requests leave E with the EIP as source, TTL one lower; replies come back.
  const fromApp = b.packets.filter((p) => on(I, 'in')(p) && echoRequest(a.app, a.remote)(p));
  expect(fromApp.length).toBeGreaterThanOrEqual(5);
  const translated = b.packets.filter((p) => on(E, 'out')(p) && echoRequest(a.eip, a.remote)(p));
  expect(translated.length).toBe(fromApp.length);
  expect(translated.map((p) => p.ttl)).toEqual(fromApp.map((p) => p.ttl! - 1));
  expect(count(b, on(I, 'out'), echoReply(a.remote, a.app))).toBe(fromApp.length);
  // Shared SNAT: app2 leaves as EIP2.
  expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app2, a.remote)));
  expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip2))).toBeGreaterThanOrEqual(5);
  expectClientToEipDelivered(b);
  // The port forward: the client's SYNs to EIP2 reach app2 on its own port.
  const syns = count(b, on(E, 'in'), tcpSyn(a.client, a.eip2, ports.forwardTcp));
  expect(syns).toBe(2);
  expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBe(syns);
  // UDP both ways through the gateway: the standard traffic's small exchanges (not a scenario's large datagrams,
  // which come in fragments: tshark puts their UDP header on the last one).
  const whole = (p: LabPacket) => !p.mf && !p.fragOffset;
  expect(count(b, on(E, 'in'), (p) => whole(p) && p.proto === 17 && p.src === a.remote && p.dst === a.eip && p.sport === ports.remoteUdp)).toBe(2);
  expect(count(b, on(I, 'in'), (p) => whole(p) && p.proto === 17 && p.src === a.app2 && p.dst === a.client && p.sport === ports.app2Udp)).toBe(2);
  expect(count(b, on(E, 'out'), (p) => whole(p) && p.proto === 17 && p.src === a.eip2 && p.dst === a.client && p.sport === ports.forwardUdp)).toBe(2);
  // No private address ever leaves the outside interface.
  expect(privateOn(b, E)).toBe(0);
  // The floating IP's connections are tracked (but for a stateless one: nothing to track).
  if (!o.statelessFip) expect(file(b, 'conntrack.txt')).toContain(`dst=${a.eip}`);
}

/**
 * Everything forwarded stops: requests arrive, nothing leaves the other side, no ICMP error back. With `ownTraffic`
 * the gateway sends packets of its own (Docker's bridge coming up): its nat counters and conntrack table are not
 * the forwarded traffic's alone, and are not looked at.
 */
function expectSilentStop(b: LabBundle, o: { readonly ownTraffic?: boolean } = {}): void {
  const { inside: I, outside: E, addresses: a, ports } = b.lab;
  expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBeGreaterThanOrEqual(5);
  expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBeGreaterThanOrEqual(5);
  expect(count(b, on(E), (p) => p.dst === a.remote || p.src === a.remote)).toBe(0);
  expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBeGreaterThanOrEqual(5);
  expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(0);
  expect(count(b, on(E, 'in'), tcpSyn(a.client, a.eip2, ports.forwardTcp))).toBeGreaterThanOrEqual(2);
  expect(count(b, on(I, 'out'), (p) => p.proto === 6)).toBe(0);
  expect(count(b, (p) => p.icmpType === 3)).toBe(0);
  if (o.ownTraffic) return;
  // Every retransmission walks PREROUTING again (no conntrack entry is confirmed), SNAT never runs.
  const [dnat] = counters(b, `-A EXCLUSIVE_DNAT -d ${a.eip}/32`);
  expect(dnat).toBeGreaterThanOrEqual(5);
  expect(counters(b, `-A POSTROUTING -j SNAT_FILTER`)[0]).toBe(0);
  expect(file(b, 'conntrack.txt').trim()).toBe('');
}

/**
 * Only what arrives on the outside is forwarded: the app's requests arriving inside never leave, the outside
 * client's requests reach the app, which answers, and the answers arriving inside never leave either.
 */
function onlyOutsideForwarded(b: LabBundle): void {
  const { inside: I, outside: E, addresses: a } = b.lab;
  expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
  expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(0);
  expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(5);
  expect(count(b, on(I, 'in'), echoReply(a.app, a.client))).toBe(5);
  expect(count(b, on(E, 'out'), echoReply(a.eip, a.client))).toBe(0);
}

const SYMPTOMS: Record<string, (b: LabBundle) => void> = {
  healthy: expectHealthy,
  'healthy-lan': (b) => {
    // Healthy, with a LAN side's chatter arriving on I: mDNS, SSDP, an IGMP join, a subnet and a limited broadcast.
    expectHealthy(b);
    const { inside: I, addresses: a } = b.lab;
    for (const group of ['224.0.0.251', '239.255.255.250', '224.0.0.22']) expect(count(b, on(I, 'in'), (p) => p.dst === group), group).toBeGreaterThan(0);
    expect(count(b, on(I, 'in'), (p) => p.dst === '255.255.255.255' && p.dport === 67)).toBe(1);
    expect(count(b, on(I, 'in'), (p) => p.src === a.app2 && p.dport === 137 && p.dst.endsWith('.255'))).toBe(1);
  },

  'ip-forward-disabled': (b) => {
    expectSilentStop(b);
    expect(sysctl(b, 'net.ipv4.ip_forward')).toBe('0');
    expect(sysctl(b, `net.ipv4.conf.${sysctlName(b.lab.outside)}.forwarding`)).toBe('0');
  },

  'ip-forward-disabled-nft': (b) => {
    SYMPTOMS['ip-forward-disabled']!(b);
    // The rules live in nf_tables and were listed by iptables-nft: its own header, the DNAT rules counting.
    expect(b.lab.backend).toBe('iptables-nft');
    const save = file(b, 'iptables-save.txt');
    expect(save).toMatch(/^# Generated by iptables-nft-save v[\d.]+ \(nf_tables\)/m);
    expect(save).toMatch(/^\[[1-9]\d*:\d+\] -A EXCLUSIVE_DNAT /m);
  },

  'forward-chain-drop': (b) => {
    expectSilentStop(b);
    expect(sysctl(b, 'net.ipv4.ip_forward')).toBe('1');
    expect(file(b, 'iptables-save.txt')).toMatch(/^:FORWARD DROP \[[1-9]\d*:\d+\]$/m);
    expect(file(b, 'iptables-filter-L.txt')).toMatch(/Chain FORWARD \(policy DROP [1-9]\d* packets/);
  },

  'forward-chain-reject': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const requests = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(requests).toBeGreaterThanOrEqual(5);
    // REJECT answers each request (and the TCP/UDP attempts) with ICMP port unreachable back out of the
    // inside interface.
    // (icmp_send rate-limits per destination, so assert presence, not one per request.)
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 3 && p.dst === a.app)).toBeGreaterThanOrEqual(1);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 3 && p.dst === a.app2)).toBeGreaterThanOrEqual(1);
    expect(count(b, on(E), (p) => p.dst === a.remote)).toBe(0);
    expectClientToEipDelivered(b);
    expect(counters(b, `-A FORWARD -d ${a.remote}/32 -j REJECT`)[0]).toBeGreaterThanOrEqual(requests);
  },

  'forward-chain-tcp-reset': (b) => {
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    // The app's connection attempts to the remote get a reset back out of the inside interface, in the remote's
    // name (its address and port as source), and never leave outside; pings get ICMP net-unreachable (code 0), as
    // if there were no route.
    const syns = count(b, on(I, 'in'), (p) => p.syn && !p.ack && p.src === a.app && p.dst === a.remote && p.dport === ports.remoteTcp);
    expect(syns).toBeGreaterThanOrEqual(1);
    expect(count(b, on(I, 'out'), (p) => p.rst && p.src === a.remote && p.sport === ports.remoteTcp && p.dst === a.app)).toBe(syns);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 0 && p.dst === a.app)).toBeGreaterThanOrEqual(1);
    expect(count(b, on(E), (p) => p.dst === a.remote)).toBe(0);
    expectClientToEipDelivered(b);
    expect(counters(b, `-A FORWARD -d ${a.remote}/32 -p tcp -j REJECT --reject-with tcp-reset`)[0]).toBe(syns);
  },

  'intermittent-drop': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    const passed = count(b, on(E, 'out'), echoRequest(a.eip, a.remote));
    expect(sent).toBe(40);
    // p = 0.3 per packet: 28 of 40 expected; the bounds are > 4 standard deviations wide.
    expect(passed).toBeGreaterThan(12);
    expect(passed).toBeLessThan(39);
    // Replies cross the same FORWARD rule: fewer come back than went out.
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app))).toBeLessThan(passed);
    expect(file(b, 'iptables-save.txt')).toMatch(/-A FORWARD -m statistic --mode random --probability 0\.\d+ -j DROP/);
  },

  'iface-forwarding-off': (b) => {
    const { inside: I } = b.lab;
    onlyOutsideForwarded(b);
    expect(file(b, 'sysctl.txt')).toMatch(new RegExp(`^net\\.ipv4\\.conf\\.${sysctlName(I)}\\.forwarding = 0$`, 'm'));
    expect(file(b, 'sysctl.txt')).toMatch(/^net\.ipv4\.ip_forward = 1$/m);
  },

  'forward-one-way': (b) => {
    const { outside: E } = b.lab;
    onlyOutsideForwarded(b);
    expect(file(b, 'iptables-save.txt')).toMatch(/^:FORWARD DROP/m);
    expect(file(b, 'iptables-save.txt')).toMatch(new RegExp(`^(\\[\\d+:\\d+\\] )?-A FORWARD -i ${E} -j ACCEPT$`, 'm'));
  },

  'rate-limit': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    const passed = count(b, on(E, 'out'), echoRequest(a.eip, a.remote));
    expect(sent).toBe(30);
    // Three pings share 10 requests a second (burst 5) at 20 a second each: some pass, most do not.
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThan(sent);
    expect(file(b, 'iptables-save.txt')).toMatch(/-A FORWARD -p icmp -m icmp --icmp-type 8 -m limit --limit 10\/sec(?: --limit-burst 5)? -j ACCEPT/);
    expect(file(b, 'iptables-save.txt')).toMatch(/-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP/);
  },

  'rp-filter-drop': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'in'), echoRequest(a.spoof, a.eip))).toBe(5);
    expect(count(b, on(I), (p) => p.src === a.spoof || p.dst === a.spoof)).toBe(0);
    expect(count(b, on(E, 'out'), (p) => p.dst === a.spoof)).toBe(0);
    expectClientToEipDelivered(b);
    expect(sysctl(b, `net.ipv4.conf.${sysctlName(E)}.rp_filter`)).toBe('1');
    // The reverse route for the spoofed source points out of the inside interface.
    const routes = JSON.parse(file(b, 'ip-route.json')) as Array<{ dst: string; dev: string }>;
    expect(routes.filter((r) => r.dst !== 'default' && inCidr(a.spoof, r.dst)).map((r) => r.dev)).toEqual([I]);
  },

  'no-route': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const requests = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(requests).toBeGreaterThanOrEqual(5);
    // ICMP net unreachable (type 3 code 0) from the gateway back out of the inside interface. ip_error()
    // rate-limits them per source (token bucket: cost 1 s, burst 5 s, starting level varies), so not every
    // request gets one.
    for (const src of [a.app, a.app2]) {
      const unreachable = count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 0 && p.dst === src);
      expect(unreachable).toBeGreaterThanOrEqual(1);
    }
    expect(count(b, on(E), (p) => p.dst === a.remote)).toBe(0);
    expectClientToEipDelivered(b);
    expect(file(b, 'ip-route.txt')).not.toMatch(/^default/m);
  },

  'egress-neighbor-unresolved': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(E), (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, on(E, 'out'), arpRequestFor(a.ghostOutside))).toBeGreaterThanOrEqual(3);
    expect(count(b, arpReplyFrom(a.ghostOutside))).toBe(0);
    expectClientToEipDelivered(b);
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default via ${a.ghostOutside.replace(/\./g, '\\.')} dev ${E}`, 'm'));
  },

  'arp-disabled': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    // The gateway's own translated packets do leave E ...
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBeGreaterThanOrEqual(5);
    // ... but the outside asks for the EIPs and never gets an answer, so nothing comes back.
    expect(count(b, on(E, 'in'), (p) => p.arpOp === 1 && (p.arpTarget === a.eip || p.arpTarget === a.eip2))).toBeGreaterThanOrEqual(3);
    expect(count(b, on(E), (p) => p.arpOp === 2)).toBe(0);
    expect(count(b, on(E, 'in'), (p) => p.src === a.remote)).toBe(0);
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(0);
    expect(file(b, 'ip-addr.txt')).toMatch(new RegExp(`${E}@\\S+ <[^>]*NOARP[^>]*>`));
  },

  'mtu-exceeded': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const big = count(b, on(I, 'in'), echoRequest(a.app, a.remote2), (p) => p.ipLen === 1428);
    expect(big).toBe(3);
    expect(count(b, on(E), (p) => (p.ipLen ?? 0) > 1280)).toBe(0);
    // "Fragmentation needed" (type 3 code 4) with the outside MTU, back out of the inside interface.
    const fragNeeded = b.packets.filter((p) => on(I, 'out')(p) && p.icmpType === 3 && p.icmpCode === 4 && p.dst === a.app);
    expect(fragNeeded.length).toBe(big);
    expect(fragNeeded.every((p) => p.icmpMtu === 1280)).toBe(true);
    // Small and mid-sized packets pass.
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote), (p) => p.ipLen === 84)).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote2), (p) => p.ipLen === 1028)).toBe(3);
    expect(count(b, on(E), (p) => p.src === a.remote2 || p.dst === a.remote2)).toBe(3 + 3);
    expect(file(b, 'ip-addr.txt')).toMatch(new RegExp(`${E}@\\S+ <[^>]*> mtu 1280 `));
  },

  'snat-missing': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(sent).toBeGreaterThanOrEqual(5);
    // Forwarded with the private source address, and never answered.
    expect(count(b, on(E, 'out'), echoRequest(a.app, a.remote))).toBe(sent);
    expect(count(b, on(E, 'out'), echoRequest(a.app2, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(E), (p) => p.src === a.eip || p.src === a.eip2, (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, on(E, 'in'), (p) => p.src === a.remote)).toBe(0);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/-j SNAT /);
    expectClientToEipDelivered(b);
  },

  'dnat-backend-unreachable': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(5);
    expect(count(b, on(I), (p) => p.dst === a.ghostInside)).toBe(0);
    expect(count(b, on(I, 'out'), arpRequestFor(a.ghostInside))).toBeGreaterThanOrEqual(3);
    expect(count(b, arpReplyFrom(a.ghostInside))).toBe(0);
    expect(count(b, on(E, 'out'), echoReply(a.eip, a.client))).toBe(0);
    expect(file(b, 'iptables-save.txt')).toContain(`-A EXCLUSIVE_DNAT -d ${a.eip}/32 -j DNAT --to-destination ${a.ghostInside}`);
    // Outbound floating-IP traffic is unaffected.
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip))).toBe(5);
  },

  'stale-conntrack': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    // All 25 requests to the floating IP reach app, including those sent after the rule was repointed.
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(25);
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(25);
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app2))).toBe(0);
    // app keeps leaving as the EIP although the rules now SNAT only app2 to it.
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(25 + 5);
    // The rules point at app2 and the DNAT rule never matched; conntrack still holds the old mapping.
    const save = file(b, 'iptables-save.txt');
    expect(save).toContain(`[0:0] -A EXCLUSIVE_DNAT -d ${a.eip}/32 -j DNAT --to-destination ${a.app2}`);
    expect(save).toContain(`-A EXCLUSIVE_SNAT -s ${a.app2}/32 -j SNAT --to-source ${a.eip}`);
    const ct = file(b, 'conntrack.txt');
    const ip = (addr: string) => addr.replace(/\./g, '\\.');
    expect(ct).toMatch(new RegExp(`src=${ip(a.client)} dst=${ip(a.eip)} .* src=${ip(a.app)} dst=${ip(a.client)} `));
    expect(ct).toMatch(new RegExp(`src=${ip(a.app)} dst=${ip(a.remote)} .* src=${ip(a.remote)} dst=${ip(a.eip)} `));
  },

  'snapshot-backend-mismatch': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    // Translation visibly happens ...
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(5);
    // ... but the nft snapshot has empty nat chains and only warns about the legacy tables.
    const save = file(b, 'iptables-save.txt');
    expect(save).toContain('# Warning: iptables-legacy tables present');
    expect(save).toMatch(/^\*nat$/m);
    expect(save).not.toMatch(/^(\[\d+:\d+\] )?-A /m);
    expect(file(b, 'iptables-nat-L.txt')).toContain('# Warning: iptables-legacy tables present');
    expect(file(b, 'iptables-nat-L.txt')).not.toContain('DNAT');
  },

  'snapshot-backend-mismatch-nft': (b) => {
    const { inside: I, outside: E, addresses: a } = b.lab;
    // Translation visibly happens ...
    expect(b.lab.backend).toBe('iptables-nft');
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(5);
    // ... but the rules live in nf_tables, and iptables-legacy lists its own tables: empty, no warning.
    const save = file(b, 'iptables-save.txt');
    expect(save).toMatch(/^# Generated by iptables-save v[\d.]+ on /m);
    expect(save).toMatch(/^\*nat$/m);
    expect(save).not.toMatch(/^(\[\d+:\d+\] )?-A /m);
    expect(save).not.toContain('# Warning');
    expect(file(b, 'iptables-nat-L.txt')).not.toContain('DNAT');
  },

  'outside-no-carrier': (b) => {
    // The outside link has no carrier: the app side's requests arrive, nothing at all is seen on the outside (not
    // even the ARP for the next hop), and when that ARP times out the gateway answers with host unreachable (from
    // the address the packets were translated to); the snapshot shows the interface up without carrier, its routes kept.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E))).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 1)).toBeGreaterThan(0);
    expect(count(b, (p) => p.icmpType === 3 && p.icmpCode !== 1)).toBe(0);
    expect(file(b, 'ip-addr.txt')).toMatch(new RegExp(`^\\d+: ${b.lab.outside.replace('.', '\\.')}@\\S+ <NO-CARRIER,[^>]*\\bUP\\b[^>]*> .* state DOWN`, 'm'));
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default via ${a.nexthop.replace(/\./g, '\\.')} dev ${b.lab.outside.replace('.', '\\.')} linkdown`, 'm'));
  },

  'inside-no-carrier': (b) => {
    // The inside link has no carrier: the outside client's requests arrive and nothing is seen on the inside (the -i
    // any capture holds none of its packets); the gateway answers host unreachable from the EIP when its ARP for the
    // DNAT target times out.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(5);
    expect(count(b, on(I))).toBe(0);
    expect(count(b, on(E, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 1 && p.dst === a.client)).toBeGreaterThan(0);
    expect(file(b, 'ip-addr.txt')).toMatch(new RegExp(`^\\d+: ${I}@\\S+ <NO-CARRIER,[^>]*\\bUP\\b[^>]*> .* state DOWN`, 'm'));
  },

  'outside-link-down': (b) => {
    // The outside interface is set down: no capture of it; the app side's requests are answered by the gateway
    // with network unreachable, its routes gone, its addresses kept.
    const { inside: I, addresses: a } = b.lab;
    expect(Object.keys(b.magic)).toEqual([`${I}.pcapng`]);
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 0 && p.src === a.gatewayInside)).toBeGreaterThan(0);
    const outside = b.lab.outside.replace('.', '\\.');
    expect(file(b, 'ip-addr.txt')).toMatch(new RegExp(`^\\d+: ${outside}@\\S+ <(?![^>]*\\bUP\\b)[^>]*> .* state DOWN`, 'm'));
    expect(file(b, 'ip-addr.txt')).toContain(`inet ${a.eip}/`);
    expect(file(b, 'ip-route.txt')).not.toMatch(new RegExp(`dev ${outside}\\b`));
  },

  hairpin: (b) => {
    // Healthy, and NAT loopback on the inside interface: app2's pings to app's floating IP arrive on I, leave I
    // again DNATed to app and masqueraded to the gateway's own inside address, and the replies come back the
    // same way; the outside sees none of it.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a } = b.lab;
    const sent = count(b, on(I, 'in'), echoRequest(a.app2, a.eip));
    expect(sent).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.gatewayInside, a.app))).toBe(sent);
    expect(count(b, on(I, 'in'), echoReply(a.app, a.gatewayInside))).toBe(sent);
    expect(count(b, on(I, 'out'), echoReply(a.eip, a.app2))).toBe(sent);
    expect(count(b, on(E), (p) => p.src === a.app2 || p.dst === a.app2 || p.dst === a.gatewayInside)).toBe(0);
    expect(count(b, (p) => p.icmpType === 5)).toBe(0);
  },

  'segmentation-offload': (b) => {
    // Healthy, and bulk TCP both ways: each sender's TSO over its veth hands the gateway segments far larger than
    // the 1500-byte MTU; with segmentation offload off on both gateway interfaces they leave cut to MSS size.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const download = (p: LabPacket) => p.proto === 6 && p.src === a.remote && p.sport === ports.bulkTcp;
    const upload = (p: LabPacket) => p.proto === 6 && p.src === a.client && p.sport !== null && (p.dport === ports.bulkForwardTcp);
    const large = (p: LabPacket) => (p.ipLen ?? 0) > 1500;
    expect(count(b, (p) => on(E, 'in')(p) && download(p) && large(p))).toBeGreaterThan(0);
    expect(count(b, (p) => on(E, 'in')(p) && upload(p) && large(p))).toBeGreaterThan(0);
    expect(count(b, (p) => on(I, 'out')(p) && (p.sport === ports.bulkTcp || p.dport === ports.bulkForwardTcp) && large(p))).toBe(0);
    expect(count(b, (p) => on(I, 'out')(p) && p.dst === a.app2 && p.dport === ports.bulkForwardTcp && p.ipLen === 1500)).toBeGreaterThan(0);
  },

  refragment: (b) => {
    // Healthy, the inside's MTU (1280) below the outside's (1500): datagrams without DF that are larger come in
    // from outside in 1500-byte fragments and leave the inside in fragments of at most 1280 bytes.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a } = b.lab;
    const fragment = (p: LabPacket) => p.mf || (p.fragOffset ?? 0) > 0;
    const inbound = (p: LabPacket) => p.src === a.client && (p.dst === a.eip || p.dst === a.app);
    const arrived = b.packets.filter((p) => on(E, 'in')(p) && inbound(p) && fragment(p));
    const left = b.packets.filter((p) => on(I, 'out')(p) && inbound(p) && fragment(p));
    expect(arrived.some((p) => p.ipLen === 1500)).toBe(true);
    expect(left.length).toBeGreaterThanOrEqual(arrived.length);
    expect(left.every((p) => (p.ipLen ?? 0) <= 1280)).toBe(true);
    expect(left.some((p) => (p.ipLen ?? 0) > 1200)).toBe(true);
    // The inside's own fragments are no larger than its MTU, and leave the outside as they are.
    const outbound = b.packets.filter((p) => on(I, 'in')(p) && p.src === a.app && p.dst === a.remote && fragment(p));
    expect(outbound.length).toBeGreaterThan(0);
    expect(outbound.every((p) => (p.ipLen ?? 0) <= 1280)).toBe(true);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip && p.dst === a.remote && fragment(p))).toBe(outbound.length);
  },

  'upstream-reject': (b) => {
    // The remote answers with ICMP host unreachable instead of replies; the gateway relays the errors back to
    // the senders with the NAT undone. Nothing on the gateway is wrong.
    const { inside: I, outside: E, addresses: a } = b.lab;
    const refusals = count(b, (p) => on(E, 'in')(p) && p.src === a.remote && p.icmpType === 3 && p.icmpCode === 1);
    expect(refusals).toBeGreaterThanOrEqual(10);
    expect(count(b, (p) => on(I, 'out')(p) && p.src === a.remote && (p.dst === a.app || p.dst === a.app2) && p.icmpType === 3 && p.icmpCode === 1)).toBe(refusals);
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip))).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expectClientToEipDelivered(b);
    expect(sysctl(b, 'net.ipv4.ip_forward')).toBe('1');
    expect(file(b, 'iptables-save.txt')).not.toMatch(/:FORWARD DROP|-j (DROP|REJECT)/);
  },

  'backend-silent': (b) => {
    // The port forward's backend drops what the outside client sends, silently: the DNATed requests leave I, nothing
    // comes back (no reset, no ICMP), while app2's own pings to the remote pass both ways.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBeGreaterThanOrEqual(2);
    expect(count(b, (p) => on(I, 'in')(p) && p.src === a.app2 && p.dst === a.client)).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(5);
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app2))).toBe(5);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/:FORWARD DROP|-j (DROP|REJECT)/);
  },

  'port-forward-wrong-port': (b) => {
    // The TCP port forward points one port past app2's service: app2 resets the DNATed SYNs, the gateway relays the
    // resets back from EIP2; no SYN-ACK ever comes. The UDP port forward and everything else pass.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const wrong = ports.app2Tcp + 1;
    expect(file(b, 'iptables-save.txt')).toContain(`--dport ${ports.forwardTcp} -j DNAT --to-destination ${a.app2}:${wrong}`);
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, wrong))).toBe(2);
    const resets = count(b, (p) => on(I, 'in')(p) && p.src === a.app2 && p.sport === wrong && p.proto === 6 && p.rst);
    expect(resets).toBe(2);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.sport === ports.forwardTcp && p.rst)).toBe(resets);
    expect(count(b, (p) => p.proto === 6 && p.syn && p.ack && p.src === a.app2)).toBe(0);
    expectClientToEipDelivered(b);
  },

  'port-forward-missing': (b) => {
    // The port forwards' DNAT rules are gone, EIP2 still on E: the client's requests to it are the gateway's own, and
    // the gateway refuses them itself — a reset from EIP2 for TCP, ICMP port unreachable for UDP; nothing reaches I.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(file(b, 'iptables-save.txt')).not.toContain(`--dport ${ports.forwardTcp} -j DNAT`);
    expect(file(b, 'iptables-save.txt')).not.toContain(`--dport ${ports.forwardUdp} -j DNAT`);
    expect(file(b, 'ip-addr.txt')).toContain(`inet ${a.eip2}/`);
    expect(count(b, on(E, 'in'), tcpSyn(a.client, a.eip2, ports.forwardTcp))).toBe(2);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.sport === ports.forwardTcp && p.rst)).toBe(2);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.dst === a.client && p.icmpType === 3 && p.icmpCode === 3)).toBe(2);
    expect(count(b, on(I, 'out'), (p) => p.src === a.client && p.proto !== 1)).toBe(0);
    expectClientToEipDelivered(b);
  },

  'backend-stale-mac': (b) => {
    // A static neighbour entry for app2 with a MAC it does not have: the DNATed requests leave I addressed to that MAC
    // and app2 never answers; app2's own pings leave and are answered, the replies sent back to the same wrong MAC.
    const { inside: I, addresses: a, ports } = b.lab;
    expect(file(b, 'ip-neigh.json')).toContain('02:00:5e:00:53:77');
    const syns = b.packets.filter((p) => on(I, 'out')(p) && tcpSyn(a.client, a.app2, ports.app2Tcp)(p));
    expect(syns.length).toBeGreaterThanOrEqual(2);
    expect(count(b, (p) => on(I, 'in')(p) && p.src === a.app2 && p.dst === a.client)).toBe(0);
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app2))).toBe(5);
    expectClientToEipDelivered(b);
  },

  'raw-blocklist': (b) => {
    // app2's address on a raw-table blocklist: its pings stop silently on I, and so do its answers to the port forwards
    // (the requests cross, DNATed; the answers never leave E). app's traffic passes.
    const { addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toContain(`-A PREROUTING -s ${a.app2}/32 -j DROP`);
    expectApp2CutOff(b);
  },

  'null-route': (b) => {
    // A blackhole route for the remote: every request to it stops on I in silence (no ICMP), the default route
    // notwithstanding; the outside client's traffic to the EIPs passes.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'ip-route.txt')).toContain(`blackhole ${a.remote}`);
    expect(file(b, 'ip-route.txt')).toMatch(/^default via /m);
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(E), (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3)).toBe(0);
    expectClientToEipDelivered(b);
  },

  'rules-lost': (b) => {
    // Every NAT chain flushed, the jumps to them kept: the apps' traffic leaves E untranslated and gets no reply; the
    // floating IP's pings are answered by the gateway itself; the port forwards are refused by it (reset, port unreachable).
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(file(b, 'iptables-save.txt')).not.toMatch(/-j (DNAT|SNAT|MASQUERADE)( |$)/m);
    expect(file(b, 'iptables-save.txt')).toContain('-A PREROUTING -j DNAT_FILTER');
    expect(count(b, on(E, 'out'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.app))).toBe(0);
    expect(count(b, on(E, 'out'), echoReply(a.eip, a.client))).toBe(5);
    expect(count(b, on(I), (p) => p.src === a.client || p.dst === a.client)).toBe(0);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.sport === ports.forwardTcp && p.rst)).toBe(2);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.dst === a.client && p.icmpType === 3 && p.icmpCode === 3)).toBe(2);
  },

  'two-faults': (b) => {
    // No SNAT rule at all, and FORWARD drops everything from app2: app leaves untranslated, app2's requests and its
    // answers to the port forwards stop; the floating IP's inbound pings (DNAT only) pass.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E), (p) => p.src === a.app2 || p.src === a.eip2)).toBe(0);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/-j (SNAT|MASQUERADE)( |$)/m);
    expect(file(b, 'iptables-save.txt')).toContain(`-A FORWARD -s ${a.app2}/32 -j DROP`);
    expectClientToEipDelivered(b);
  },

  'backend-refuses': (b) => {
    // The port forward's backend answers ICMP port unreachable (no UDP server; a REJECT for its TCP port); the
    // gateway DNATs the requests to it and relays the errors back out, their source the EIP again.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBe(2);
    const refusals = count(b, (p) => on(I, 'in')(p) && p.src === a.app2 && p.dst === a.client && p.icmpType === 3 && p.icmpCode === 3);
    expect(refusals).toBe(4);
    expect(count(b, (p) => on(E, 'out')(p) && p.src === a.eip2 && p.dst === a.client && p.icmpType === 3 && p.icmpCode === 3)).toBe(refusals);
    expect(count(b, (p) => on(I, 'in')(p) && p.src === a.app2 && p.dst === a.client && p.proto !== 1)).toBe(0);
    expectClientToEipDelivered(b);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/:FORWARD DROP|-j (DROP|REJECT)/);
  },

  'mss-clamp': (b) => {
    // Healthy, the SYNs' MSS clamped in mangle FORWARD to the smaller outside MTU (the options change, nothing else).
    expectHealthy(b);
    const [clamped] = counters(b, '-j TCPMSS --clamp-mss-to-pmtu');
    expect(clamped).toBeGreaterThanOrEqual(4);
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'in'), tcpSyn(a.app, a.remote, ports.bulkTcp))).toBe(1);
    expect(count(b, on(E, 'out'), tcpSyn(a.eip, a.remote, ports.bulkTcp))).toBe(1);
    expect(count(b, on(I, 'out'), (p) => p.src === a.remote && p.sport === ports.bulkTcp)).toBeGreaterThan(10);
  },

  'tc-shaper': (b) => {
    // A tbf shaper on the inside interface's egress: the download's segments arrive on E and some never leave I
    // (tcpdump sees egress after the qdisc); tc counted the drops, iptables did not; the small flows pass.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const tc = file(b, 'tc-qdisc.txt');
    expect(tc).toMatch(new RegExp(`^qdisc tbf \\S+ dev ${I.replace(/\./g, '\\.')} root .*rate 2Mbit`, 'm'));
    expect(Number(/^ Sent \d+ bytes \d+ pkt \(dropped (\d+),/m.exec(tc.slice(tc.indexOf('qdisc tbf')))![1])).toBeGreaterThan(0);
    const inBytes = b.packets.filter((p) => on(E, 'in')(p) && p.src === a.remote && p.sport === ports.bulkTcp).reduce((n, p) => n + (p.ipLen ?? 0), 0);
    const outBytes = b.packets.filter((p) => on(I, 'out')(p) && p.src === a.remote && p.sport === ports.bulkTcp).reduce((n, p) => n + (p.ipLen ?? 0), 0);
    expect(outBytes).toBeLessThan(inBytes);
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expectClientToEipDelivered(b);
  },

  'default-route-inside': (b) => {
    // The default route points into the VPC (via app2): the apps' requests to the remote leave I again — app's
    // SNATed to the EIP by its floating-IP rule (no -o), app2's untranslated (the shared SNAT is -o E) — with ICMP
    // redirects from the gateway, and none leaves E; the outside client's flows still pass.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default via ${a.app2.replace(/\./g, '\\.')} dev ${I} `, 'm'));
    expect(count(b, on(I, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.src === a.gatewayInside && p.icmpType === 5)).toBeGreaterThan(0);
    expectClientToEipDelivered(b);
  },

  'point-to-point': (b) => {
    // The outside is a point-to-point tun link: NOARP by nature, no MAC, raw IP on the wire, no ARP at all.
    // Everything passes but what the remote drops itself: its UDP service, which never answers.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const link = (JSON.parse(file(b, 'ip-addr.json')) as { ifname: string; flags: string[]; link_type: string }[]).find((l) => l.ifname === E)!;
    expect(link.flags).toEqual(expect.arrayContaining(['POINTOPOINT', 'NOARP']));
    expect(link.link_type).toBe('none');
    expect(count(b, (p) => p.arpOp !== null)).toBe(count(b, on(I), (p) => p.arpOp !== null));
    const fromApp = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(fromApp).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(fromApp);
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip))).toBe(fromApp);
    expectClientToEipDelivered(b);
    const udpOut = count(b, on(E, 'out'), (p) => p.proto === 17 && p.dst === a.remote && p.dport === ports.remoteUdp);
    expect(udpOut).toBe(2);
    expect(count(b, on(E, 'in'), (p) => p.proto === 17 && p.src === a.remote)).toBe(0);
    expect(count(b, (p) => p.icmpType === 3)).toBe(0);
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default dev ${E.replace(/\./g, '\\.')} `, 'm'));
  },

  'point-to-point-forward-off': (b) => {
    // The seed incident over a point-to-point uplink: nothing forwarded either way, silence.
    expectSilentStop(b);
    expect(sysctl(b, 'net.ipv4.ip_forward')).toBe('0');
    const link = (JSON.parse(file(b, 'ip-addr.json')) as { ifname: string; flags: string[] }[]).find((l) => l.ifname === b.lab.outside)!;
    expect(link.flags).toContain('POINTOPOINT');
  },

  'nft-share-dnat': (b) => {
    // Healthy; the TCP port forward is Kube-OVN's nftables share DNAT (a vmap dispatching EIP . protocol . port to a
    // chain that DNATs to its backends), not an iptables rule: the client's SYNs reach app2 all the same.
    expectHealthy(b);
    const { addresses: a, ports } = b.lab;
    const nft = file(b, 'nft-ruleset.txt');
    expect(nft).toMatch(/type nat hook prerouting priority (mangle|-150)/);
    expect(nft).toContain(`${a.eip2} . tcp . ${ports.forwardTcp} : goto dnat-`);
    expect(nft).toMatch(new RegExp(`dnat ip to numgen random mod 1 map \\{ 0 : ${a.app2.replace(/\./g, '\\.')} \\. ${ports.app2Tcp} \\}`));
    expect(file(b, 'iptables-save.txt')).not.toMatch(new RegExp(`--dport ${ports.forwardTcp} -j DNAT`));
  },

  'nft-share-dnat-unreachable': (b) => {
    // The share DNAT's backend is an address nobody holds: the client's SYNs arrive and never leave the inside; the
    // gateway asks by ARP for the backend on the inside and nobody answers.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const syns = count(b, on(E, 'in'), tcpSyn(a.client, a.eip2, ports.forwardTcp));
    expect(syns).toBeGreaterThanOrEqual(2);
    expect(count(b, on(I, 'out'), (p) => p.proto === 6 && p.dst === a.ghostInside)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.arpOp === 1 && p.arpTarget === a.ghostInside)).toBeGreaterThanOrEqual(1);
    expect(file(b, 'nft-ruleset.txt')).toContain(`0 : ${a.ghostInside} . ${ports.app2Tcp}`);
    expectClientToEipDelivered(b);
  },

  'nft-native': (b) => {
    // Healthy, every NAT rule nftables' own (table ip natgw); iptables-save shows an empty nat table.
    expectHealthy(b);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/-j (DNAT|SNAT|MASQUERADE)/);
    expect(file(b, 'nft-ruleset.txt')).toMatch(/^table ip natgw \{/m);
    expect(file(b, 'nft-ruleset.txt')).toMatch(/snat to [\d.]+ fully-random/);
  },

  'nft-native-forward-drop': (b) => {
    // nftables' forward chain drops what app2 sends: its requests never leave, the outside client's requests to its
    // port forward reach it and its answers never leave either. app's traffic passes.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(file(b, 'nft-ruleset.txt')).toMatch(new RegExp(`ip saddr ${a.app2.replace(/\./g, '\\.')} counter packets [1-9]\\d* bytes \\d+ drop`));
    expect(file(b, 'iptables-save.txt')).not.toMatch(/-j (DROP|REJECT)/);
  },

  'docker-forward-drop': (b) => {
    // Docker's FORWARD: policy DROP, its chains, a bridge of its own; nothing of the gateway's is forwarded (the
    // gateway's own packets on docker0 — IGMP as the bridge comes up — go through nat POSTROUTING).
    expectSilentStop(b, { ownTraffic: true });
    expect(file(b, 'iptables-save.txt')).toMatch(/^:FORWARD DROP \[[1-9]\d*:\d+\]$/m);
    expect(file(b, 'iptables-save.txt')).toMatch(/^\[\d+:\d+\] -A FORWARD -j DOCKER-USER$/m);
    expect(file(b, 'iptables-save.txt')).toMatch(/-A POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE/);
  },

  'firewalld-forward-reject': (b) => {
    // firewalld's filter_FORWARD: the VPC's own traffic out is rejected (admin prohibited, back on the inside);
    // connections to the port forwards, DNATed, pass (ct status dnat accept).
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(E), (p) => p.dst === a.remote || p.src === a.remote)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 13)).toBeGreaterThanOrEqual(5);
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBeGreaterThanOrEqual(1);
    expect(file(b, 'nft-ruleset.txt')).toMatch(/^table inet firewalld \{$/m);
    expect(file(b, 'nft-ruleset.txt')).toMatch(/reject with icmpx admin-prohibited/);
  },

  'firewalld-snat-missing': (b) => {
    // firewalld's policy forwards the VPC's traffic out, its zone no longer masquerades: private sources leave.
    const { outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(E, 'out'), (p) => p.dst === a.remote && (p.src === a.eip || p.src === a.eip2))).toBe(0);
    expect(file(b, 'nft-ruleset.txt')).toMatch(/chain filter_FWD_policy_internal-external \{/);
    expect(file(b, 'nft-ruleset.txt')).not.toMatch(/oifname "[^"]+" .*masquerade/);
  },

  'ufw-forward-drop': (b) => {
    // ufw's defaults: pings pass both ways (its before-forward rules accept echo requests, and replies by state),
    // TCP and UDP stop at the gateway's FORWARD policy.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(I, 'in'), tcpSyn(a.app, a.remote, ports.remoteTcp))).toBeGreaterThanOrEqual(1);
    expect(count(b, on(E, 'out'), (p) => p.proto === 6 || p.proto === 17)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.proto === 6 || p.proto === 17)).toBe(0);
    expect(file(b, 'iptables-save.txt')).toMatch(/^:FORWARD DROP \[[1-9]\d*:\d+\]$/m);
    expect(file(b, 'iptables-save.txt')).toMatch(/^\[\d+:\d+\] -A ufw-before-forward -p icmp -m icmp --icmp-type 8 -j ACCEPT$/m);
  },

  'nft-native-snat-wrong-interface': (b) => {
    // nftables' SNAT for the subnet is written for net1, which this gateway does not have: app2's requests leave the
    // outside with their private source; app's own SNAT (no oifname) still works.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app2, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app2, a.remote)));
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(file(b, 'nft-ruleset.txt')).toMatch(/oifname "net1" ip saddr \S+ counter packets 0 bytes 0 snat to/);
  },

  'nft-stateless-fip': (b) => {
    // Healthy, the floating IP as stateless NAT: no conntrack entry for it, both halves rewritten by nft rules.
    expectHealthy(b, { statelessFip: true });
    const { addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).not.toContain(`--to-destination ${a.app}\n`);
    const nft = file(b, 'nft-ruleset.txt');
    expect(nft).toContain(`ip daddr ${a.eip} ip daddr set ${a.app}`);
    expect(nft).toContain(`ip saddr ${a.app} ip saddr set ${a.eip}`);
    expect(file(b, 'conntrack.txt')).not.toContain(`src=${a.app} `);
  },

  'nft-stateless-fip-half': (b) => {
    // The source rewrite missing: app's requests leave with its private address, and its answers to the outside
    // client leave from it too, while the inbound half still rewrites the EIP to app.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(count(b, on(E, 'in'), echoRequest(a.client, a.eip)));
    expect(count(b, on(E, 'out'), echoReply(a.app, a.client))).toBeGreaterThanOrEqual(5);
    expect(file(b, 'nft-ruleset.txt')).not.toContain('ip saddr set');
  },

  'policy-routing': (b) => {
    // Healthy, routed by ip rule: main's default route points into the VPC (via app2), and what comes in by either
    // side is routed by table 100 (the VPC subnet, the default route out E). Everything passes; no redirect is sent.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default via ${a.app2.replace(/\./g, '\\.')} dev ${I} `, 'm'));
    expect(file(b, 'ip-route.txt')).toMatch(new RegExp(`^default via ${a.nexthop.replace(/\./g, '\\.')} dev ${E.replace(/\./g, '\\.')} table 100`, 'm'));
    expect(file(b, 'ip-rule.txt')).toMatch(new RegExp(`from all iif ${I} lookup 100`));
    expect(file(b, 'ip-rule.txt')).toMatch(new RegExp(`from all iif ${E.replace(/\./g, '\\.')} lookup 100`));
    expect(JSON.parse(file(b, 'ip-rule.json')).length).toBe(5);
    expect(count(b, on(I, 'out'), (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, (p) => p.icmpType === 5)).toBe(0);
  },

  'policy-rule-lost': (b) => {
    // The rule for the VPC side is gone: the apps' requests to the remote are routed by main, whose default route
    // points into the VPC; they leave I again and none leaves E. What comes in by E is still routed by table 100.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'ip-rule.txt')).not.toContain(`iif ${I} `);
    expect(file(b, 'ip-rule.txt')).toMatch(new RegExp(`from all iif ${E} lookup 100`));
    expect(count(b, on(I, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), (p) => p.dst === a.remote)).toBe(0);
    expectClientToEipDelivered(b);
  },

  'vpc-route-missing': (b) => {
    // The floating IP is DNATed to a host in a VPC subnet the gateway has no route for: the client's pings arrive on
    // E and leave E again, DNATed, toward the upstream router; nothing reaches I, nothing comes back.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toContain(`-j DNAT --to-destination ${a.behind}`);
    expect(file(b, 'ip-route.txt')).not.toContain(a.behind.split('.').slice(0, 2).join('.') + '.');
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.client, a.behind))).toBe(5);
    expect(count(b, on(I, 'out'), (p) => p.dst === a.behind)).toBe(0);
    // The subnet's own pings leave E SNATed to EIP2; their replies, the SNAT undone, leave E again toward it.
    expect(count(b, on(I, 'in'), echoRequest(a.behind, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBeGreaterThanOrEqual(5);
    expect(count(b, on(E, 'out'), echoReply(a.remote, a.behind))).toBe(5);
  },

  notrack: (b) => {
    // raw PREROUTING exempts app2 from conntrack: its pings leave E untranslated, and its answers to the port
    // forwards leave E from app2's own address, not EIP2 (the DNAT is not undone); the rest is translated.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(file(b, 'iptables-save.txt')).toMatch(new RegExp(`^\\[[1-9]\\d*:\\d+\\] -A PREROUTING -s ${a.app2.replace(/\./g, '\\.')}/32 -j CT --notrack$`, 'm'));
    expect(count(b, on(E, 'out'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(I, 'in'), (p) => p.src === a.app2 && p.sport === ports.app2Tcp && p.syn && p.ack)).toBeGreaterThan(0);
    expect(count(b, on(E, 'out'), (p) => p.src === a.app2 && p.sport === ports.app2Tcp && p.syn && p.ack)).toBeGreaterThan(0);
    expect(count(b, on(E, 'out'), (p) => p.src === a.eip2 && p.sport === ports.forwardTcp)).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expectClientToEipDelivered(b);
  },

  'third-interface': (b) => {
    // Healthy, with a management interface the -i any capture holds too: pings and a query to the gateway there.
    expectHealthy(b);
    expect(count(b, on('mgmt0', 'in'), (p) => p.icmpType === 8)).toBe(5);
    expect(count(b, on('mgmt0', 'out'), (p) => p.icmpType === 0)).toBe(5);
  },

  masquerade: (b) => {
    // Healthy, the subnet's SNAT a MASQUERADE: app2's pings leave as the outside interface's primary address (the
    // EIP, as app's do through its floating IP), and every ping comes back; the port forward still reaches app2.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(counters(b, '-j MASQUERADE --random-fully')[0]).toBeGreaterThan(0);
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote)) + count(b, on(I, 'in'), echoRequest(a.app2, a.remote));
    expect(sent).toBe(10);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(sent);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(0);
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app)) + count(b, on(I, 'out'), echoReply(a.remote, a.app2))).toBe(sent);
    expectClientToEipDelivered(b);
    expect(count(b, on(I, 'out'), tcpSyn(a.client, a.app2, ports.app2Tcp))).toBe(count(b, on(E, 'in'), tcpSyn(a.client, a.eip2, ports.forwardTcp)));
  },

  traceroute: (b) => {
    // Healthy, and traceroute through it: the probe with TTL 1 gets time exceeded from the gateway itself; those
    // with TTL 2 leave translated with TTL 1 and get time exceeded from the next hop, which the gateway relays
    // back; the probe that reaches the remote gets port unreachable.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a } = b.lab;
    const exceeded = (src: string) => (p: LabPacket) => p.icmpType === 11 && p.icmpCode === 0 && p.src === src;
    expect(count(b, (p) => on(I, 'out')(p) && exceeded(a.gatewayInside)(p) && p.dst === a.app)).toBe(1);
    const fromHop = count(b, (p) => on(E, 'in')(p) && exceeded(a.nexthop)(p));
    expect(fromHop).toBe(3);
    expect(count(b, (p) => on(I, 'out')(p) && exceeded(a.nexthop)(p))).toBe(fromHop);
    expect(count(b, (p) => on(E, 'out')(p) && p.dst === a.far && p.ttl === 1)).toBe(fromHop);
    expect(count(b, (p) => on(E, 'in')(p) && p.src === a.remote && p.icmpType === 3 && p.icmpCode === 3)).toBe(1);
  },

  'snat-wrong-interface': (b) => {
    // app2 (no floating IP) leaves E with its private source: the subnet's SNAT names an interface this
    // gateway does not have, and its counter stays 0; app, with its floating IP's SNAT, leaves as the EIP.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app2, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app2, a.remote)));
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.app2))).toBe(0);
    expect(file(b, 'iptables-save.txt')).toMatch(/\[0:0\] -A SHARED_SNAT -s \S+ -o net1 -j SNAT/);
  },

  'ipset-blocklist': (b) => {
    // app2's address in an ipset blocklist FORWARD drops by: its pings stop silently on I, its answers to the port
    // forwards never leave E (the requests cross, DNATed); app's traffic passes. The snapshot holds the set.
    const { addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toMatch(/\[[1-9]\d*:\d+\] -A FORWARD -m set --match-set blocklist src -j DROP/);
    expect(file(b, 'ipset-save.txt')).toMatch(new RegExp(`^add blocklist ${a.app2.replace(/\./g, '\\.')}$`, 'm'));
    expectApp2CutOff(b);
  },

  'ipset-snat-subnet': (b) => {
    // The subnet's SNAT takes its sources from an ipset set that holds another subnet: app2 leaves E with its private
    // source, the rule's counter at 0; app, with its floating IP's SNAT, leaves as the EIP. The snapshot lists the set.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.app2, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app2, a.remote)));
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app, a.remote)));
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.app2))).toBe(0);
    expect(file(b, 'iptables-save.txt')).toMatch(/\[0:0\] -A SHARED_SNAT -o \S+ -m set --match-set nat-subnets src -j SNAT/);
    expect(file(b, 'ipset-list.txt')).toMatch(/^Name: nat-subnets\nType: hash:net\n[\s\S]*Members:\n10\.250\.0\.0\/16\n/m);
  },

  'policy-rule-port': (b) => {
    // An ip rule sends UDP to the remote's service port into table 200, which holds only a blackhole default: those
    // datagrams arrive on I and never leave E, with nothing back; pings and TCP to the same remote pass.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(file(b, 'ip-rule.txt')).toMatch(new RegExp(`^1000:\\s+from all ipproto udp dport ${ports.remoteUdp} lookup 200$`, 'm'));
    expect(file(b, 'ip-route.txt')).toMatch(/^blackhole default table 200/m);
    const udp = (p: LabPacket) => p.proto === 17 && p.dport === ports.remoteUdp;
    expect(count(b, on(I, 'in'), (p) => udp(p) && p.src === a.app && p.dst === a.remote)).toBeGreaterThanOrEqual(1);
    expect(count(b, on(E), (p) => udp(p) && p.dst === a.remote)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3)).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expectClientToEipDelivered(b);
  },

  'eip-conflict': (b) => {
    // The router holds EIP2 itself and announces it (a gratuitous ARP from its own MAC, seen on E): app2's requests
    // leave SNATed to EIP2 and nothing comes back; app's, SNATed to the EIP, are answered.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, (p) => on(E, 'in')(p) && p.arpOp === 1 && p.arpSender === a.eip2 && p.arpTarget === a.eip2)).toBe(1);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(count(b, on(I, 'in'), echoRequest(a.app2, a.remote)));
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip2))).toBe(0);
    expect(count(b, on(E, 'in'), echoReply(a.remote, a.eip))).toBeGreaterThanOrEqual(5);
  },

  'eip-conflict-arp': (b) => {
    // The router holds EIP2 and announces it; the gateway asks for its next hop from EIP2 and gets no answer, so
    // app2's requests do not leave while the captures hold them (the router's own ARP at the very end lets the
    // gateway learn its MAC, and the queued requests go out seconds late). The outside client's pings pass.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, (p) => on(E, 'in')(p) && p.arpOp === 1 && p.arpSender === a.eip2 && p.arpTarget === a.eip2)).toBe(1);
    const asks = count(b, (p) => on(E, 'out')(p) && p.arpOp === 1 && p.arpSender === a.eip2 && p.arpTarget === a.nexthop);
    expect(asks).toBeGreaterThanOrEqual(2);
    expect(count(b, (p) => on(E, 'in')(p) && p.arpOp === 2 && p.arpSender === a.nexthop)).toBe(0);
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expectClientToEipDelivered(b);
  },

  'hairpin-mark': (b) => {
    // Healthy, and NAT loopback as Kube-OVN writes it: mangle marks what comes in from the VPC side, and a SNAT per
    // EIP takes what was DNATed to that EIP, came in marked and leaves by the VPC side again. app2's pings to app's
    // floating IP leave I DNATed to app and SNATed to the EIP itself; app answers the EIP, through the gateway.
    expectHealthy(b);
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toContain('-A VPC_MARK -i ' + I + ' -j MARK --set-xmark 0x1/0x1');
    const sent = count(b, on(I, 'in'), echoRequest(a.app2, a.eip));
    expect(sent).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.eip, a.app))).toBe(sent);
    expect(count(b, on(I, 'in'), echoReply(a.app, a.eip))).toBe(sent);
    expect(count(b, on(I, 'out'), echoReply(a.eip, a.app2))).toBe(sent);
    expect(counters(b, `--ctorigdst ${a.eip} -j SNAT`)[0]).toBeGreaterThan(0);
    expect(count(b, on(E), (p) => p.src === a.app2 || p.dst === a.app2 || p.dst === a.app || p.src === a.app)).toBe(0);
    expect(file(b, 'ip-route.txt')).toMatch(/default via \S+ dev \S+ onlink/);
  },

  'hairpin-mark-lost': (b) => {
    // The same rules, the mark lost (VPC_MARK empty): the hairpin SNAT never matches, so app2's pings leave I DNATed
    // to app but still from app2, and app answers app2 directly, past the gateway. app's own hairpin connection is
    // SNATed all the same, by its floating IP's SNAT (no -o), and passes.
    const { inside: I, addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toContain(':VPC_MARK - ');
    expect(file(b, 'iptables-save.txt')).not.toContain('-j MARK');
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.eip))).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.app2, a.app))).toBe(5);
    expect(count(b, on(I), echoReply(a.app, a.app2))).toBe(0);
    expect(counters(b, `--ctorigdst ${a.eip} -j SNAT`)[0]).toBe(0);
    expect(counters(b, `--ctorigdst ${a.eip2} -j SNAT`)[0]).toBe(0);
  },

  'hairpin-no-snat': (b) => {
    // NAT loopback without the masquerade: app2's pings to app's floating IP arrive on I and leave I DNATed to app,
    // still from app2; app answers app2 directly on their link, so no reply (nor an ICMP redirect) passes the gateway.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.eip))).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.app2, a.app))).toBe(5);
    expect(count(b, on(I), echoReply(a.app, a.app2))).toBe(0);
    expect(count(b, on(I, 'out'), echoReply(a.eip, a.app2))).toBe(0);
    expect(count(b, on(E), (p) => p.src === a.app2 || p.dst === a.app2 || p.dst === a.app)).toBe(0);
    expect(count(b, (p) => p.icmpType === 5)).toBe(0);
    expect(file(b, 'iptables-save.txt')).not.toContain('MASQUERADE');
  },

  'eip-unassigned': (b) => {
    // The rules still use EIP2, the outside interface no longer holds it: app2's pings leave SNATed to EIP2, and
    // the router's and the client's ARP requests for EIP2 go unanswered, so no reply comes back and the client's
    // port-forward requests never reach the gateway (their DNAT rules count nothing).
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'ip-addr.txt')).not.toContain(`inet ${a.eip2}/`);
    expect(file(b, 'iptables-save.txt')).toContain(`--to-source ${a.eip2}`);
    expect(count(b, on(E, 'out'), arpRequestFor(a.eip2))).toBe(0);
    expect(count(b, on(E, 'in'), arpRequestFor(a.eip2))).toBeGreaterThanOrEqual(2);
    expect(count(b, arpReplyFrom(a.eip2))).toBe(0);
    expect(count(b, on(I, 'in'), echoRequest(a.app2, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(5);
    expect(count(b, on(E, 'in'), (p) => p.dst === a.eip2 && p.proto !== null)).toBe(0);
    expect(counters(b, `-A SHARED_DNAT -d ${a.eip2}/32 -p tcp`)[0]).toBe(0);
    expectClientToEipDelivered(b);
  },

  'forward-unmodelled-match': (b) => {
    // A REJECT behind -m recent's blocklist, which holds the remote: what goes to it is answered from the gateway's
    // inside address with ICMP host-prohibited (code 10) and never leaves; the outside client's traffic passes.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toMatch(/-A FORWARD -m recent --rcheck --name blocklist .*--rdest -j REJECT --reject-with icmp-host-prohibited/);
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(sent).toBe(5);
    expect(count(b, on(E, 'out'), (p) => p.dst === a.remote)).toBe(0);
    expect(count(b, on(I, 'out'), (p) => p.src === a.gatewayInside && p.icmpType === 3 && p.icmpCode === 10)).toBeGreaterThanOrEqual(sent);
    expectClientToEipDelivered(b);
  },

  'conntrack-full': (b) => {
    // The table is at its limit, held by app2's eight established connections to the remote's bulk port: their
    // packets keep leaving E (SNATed to EIP2), every new connection's first packet arrives and goes nowhere, with
    // no ICMP back, and — dropped by conntrack before the nat table — the DNAT rules count none of them.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(sysctl(b, 'net.netfilter.nf_conntrack_count')).toBe(sysctl(b, 'net.netfilter.nf_conntrack_max'));
    const entries = file(b, 'conntrack.txt').trim().split('\n');
    expect(entries).toHaveLength(Number(sysctl(b, 'net.netfilter.nf_conntrack_max')));
    for (const e of entries) expect(e).toMatch(new RegExp(`ESTABLISHED src=${a.app2.replace(/\./g, '\\.')} dst=.* dport=${ports.bulkTcp} .*\\[ASSURED\\]`));
    const drops = [...file(b, 'conntrack-stats.txt').matchAll(/\bdrop=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(drops).toBeGreaterThan(0);
    expect(count(b, on(E, 'out'), (p) => p.src === a.eip2 && p.dst === a.remote && p.dport === ports.bulkTcp)).toBeGreaterThan(20);
    expect(count(b, on(I, 'in'), echoRequest(a.app, a.remote))).toBe(5);
    expect(count(b, on(E, 'out'), (p) => p.icmpType === 8)).toBe(0);
    expect(count(b, on(E, 'in'), echoRequest(a.client, a.eip))).toBe(5);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 8 || p.syn)).toBe(0);
    expect(count(b, (p) => p.icmpType === 3)).toBe(0);
    expect(counters(b, `-A EXCLUSIVE_DNAT -d ${a.eip}/32`)[0]).toBe(0);
  },

  'conntrack-flushed': (b) => {
    // The conntrack table was flushed mid-capture with nf_conntrack_tcp_loose=0: app's long-lived connection to the
    // remote left E SNATed until then, and after it its segments (no SYN among them) arrive on I and leave nowhere,
    // counted by the INVALID rule; the client's connection through the port forward gets a reset from EIP2 itself
    // (not DNATed, the segment was the gateway's); connections begun after the flush pass. conntrack -L holds neither.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(sysctl(b, 'net.netfilter.nf_conntrack_tcp_loose')).toBe('0');
    expect(counters(b, '--ctstate INVALID -j DROP')[0]).toBeGreaterThan(0);
    const bulkIn = (p: LabPacket): boolean => p.src === a.app && p.dport === ports.bulkTcp;
    expect(count(b, on(I, 'in'), bulkIn)).toBeGreaterThan(count(b, on(E, 'out'), (p) => p.src === a.eip && p.dport === ports.bulkTcp));
    expect(count(b, on(E, 'out'), (p) => p.src === a.eip && p.dport === ports.bulkTcp)).toBeGreaterThan(0);
    expect(count(b, on(I, 'in'), (p) => bulkIn(p) && p.syn)).toBe(0);
    expect(count(b, on(E, 'out'), (p) => p.src === a.eip2 && p.sport === ports.bulkForwardTcp && p.rst)).toBeGreaterThan(0);
    expect(file(b, 'conntrack.txt')).not.toMatch(new RegExp(`dport=(${ports.bulkTcp}|${ports.bulkForwardTcp}) `));
    expect(count(b, on(I, 'in'), tcpSyn(a.app, a.remote, ports.remoteTcp))).toBe(4);
    expect(count(b, on(E, 'out'), tcpSyn(a.eip, a.remote, ports.remoteTcp))).toBe(4);
    expect(count(b, (p) => p.icmpType === 3)).toBe(0);
  },

  'conntrack-flushed-loose': (b) => {
    // The table flushed with pickup on (nf_conntrack_tcp_loose=1) and no INVALID rule: app2's long-lived connection
    // leaves E from EIP2 and one port, then, from a segment that is no SYN, from another (--random-fully), and the
    // remote resets that one; app's, SNATed by its floating IP's rule without --random-fully, keeps its port.
    const { outside: E, addresses: a, ports } = b.lab;
    expect(sysctl(b, 'net.netfilter.nf_conntrack_tcp_loose')).toBe('1');
    expect(file(b, 'iptables-save.txt')).not.toMatch(/INVALID/);
    const out2 = b.packets.filter((p) => on(E, 'out')(p) && p.src === a.eip2 && p.dport === ports.bulkTcp);
    const portsUsed = [...new Set(out2.map((p) => p.sport))];
    expect(portsUsed).toHaveLength(2);
    const later = out2.filter((p) => p.sport === portsUsed[1]);
    expect(later.some((p) => p.syn)).toBe(false);
    expect(count(b, on(E, 'in'), (p) => p.src === a.remote && p.sport === ports.bulkTcp && p.dport === portsUsed[1] && p.rst)).toBeGreaterThan(0);
    const out1 = b.packets.filter((p) => on(E, 'out')(p) && p.src === a.eip && p.dport === ports.bulkTcp);
    expect(out1.length).toBeGreaterThan(10);
    expect(new Set(out1.map((p) => p.sport)).size).toBe(1);
    expect(count(b, (p) => p.rst && p.dport === out1[0]!.sport)).toBe(0);
  },

  'conntrack-flushed-leak': (b) => {
    // The table flushed with nf_conntrack_tcp_loose=0 and no INVALID rule: app's long-lived connection leaves E from
    // the EIP until the flush, then from app's own private address (INVALID, not NATed, not dropped).
    const { outside: E, addresses: a, ports } = b.lab;
    expect(sysctl(b, 'net.netfilter.nf_conntrack_tcp_loose')).toBe('0');
    expect(file(b, 'iptables-save.txt')).not.toMatch(/INVALID/);
    const natted = b.packets.filter((p) => on(E, 'out')(p) && p.src === a.eip && p.dport === ports.bulkTcp);
    const leaked = b.packets.filter((p) => on(E, 'out')(p) && p.src === a.app && p.dport === ports.bulkTcp);
    expect(natted.length).toBeGreaterThan(0);
    expect(leaked.length).toBeGreaterThan(0);
    expect(leaked.some((p) => p.syn)).toBe(false);
    expect(Math.min(...leaked.map((p) => p.frame))).toBeGreaterThan(Math.max(...natted.map((p) => p.frame)));
    expect(file(b, 'conntrack.txt')).not.toMatch(new RegExp(`dport=${ports.bulkTcp} `));
  },

  'snat-ports-exhausted': (b) => {
    // The subnet's SNAT may give two ports (EIP2:40000-40001), and app2's two long-lived connections to the remote's
    // bulk port hold both: its third connection's SYNs arrive on I and never leave E, no ICMP back; conntrack counts
    // the failed insert. The connections that hold the ports go on; the rest of the traffic passes.
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    expect(file(b, 'iptables-save.txt')).toMatch(new RegExp(`-j SNAT --to-source ${a.eip2.replace(/\./g, '\\.')}:40000-40001$`, 'm'));
    const held = new Set(b.packets.filter((p) => on(E, 'out')(p) && p.src === a.eip2 && p.dport === ports.bulkTcp).map((p) => p.sport));
    expect([...held].sort()).toEqual([40000, 40001]);
    const syns = b.packets.filter((p) => on(I, 'in')(p) && p.src === a.app2 && p.dport === ports.bulkTcp && p.syn && !p.ack);
    expect(syns.length).toBeGreaterThan(0);
    expect(count(b, on(E, 'out'), (p) => p.dport === ports.bulkTcp && p.syn && !p.ack)).toBe(0);
    expect(count(b, (p) => p.icmpType === 3)).toBe(0);
    const failed = [...file(b, 'conntrack-stats.txt').matchAll(/\binsert_failed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(failed).toBeGreaterThan(0);
    expectClientToEipDelivered(b);
  },

  'backend-route-elsewhere': (b) => {
    // app2, the port forward's backend, routes back via GHOST_IN, which nobody holds: the DNATed requests leave I and
    // nothing comes back; app2 asks by ARP for GHOST_IN, unanswered; its own default route is not the gateway.
    const { inside: I, addresses: a, ports } = b.lab;
    expect(count(b, on(I, 'out'), (p) => p.dst === a.app2 && p.dport === ports.app2Tcp && p.syn)).toBeGreaterThan(0);
    expect(count(b, on(I, 'in'), (p) => p.src === a.app2 && p.proto !== null)).toBe(0);
    expect(count(b, (p) => p.arpOp === 1 && p.arpSender === a.app2 && p.arpTarget === a.ghostInside)).toBeGreaterThan(0);
    expect(count(b, (p) => p.arpOp === 2 && p.arpSender === a.ghostInside)).toBe(0);
    expectClientToEipDelivered(b);
  },

  'nexthop-stale-mac': (b) => {
    // A permanent neighbour entry gives the next hop a MAC nobody has: what goes upstream leaves E translated and
    // nothing comes back, while the router, asking by ARP from the next hop's address, shows its real MAC; the
    // on-link client, resolved by ARP, is answered.
    const { outside: E, addresses: a } = b.lab;
    const neigh = JSON.parse(file(b, 'ip-neigh.json')) as { dst: string; lladdr?: string; state?: string[] }[];
    const entry = neigh.find((n) => n.dst === a.nexthop)!;
    expect(entry.state).toContain('PERMANENT');
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expect(count(b, on(E, 'in'), (p) => p.src === a.remote)).toBe(0);
    expect(count(b, (p) => p.arpOp === 1 && p.arpSender === a.nexthop)).toBeGreaterThan(0);
    expect(count(b, (p) => p.arpOp !== null && p.arpSender === a.nexthop && p.ifName === E)).toBe(count(b, (p) => p.arpOp !== null && p.arpSender === a.nexthop));
    expectClientToEipDelivered(b);
  },

  'pmtu-blackhole': (b) => {
    // FORWARD (policy DROP) accepts ESTABLISHED, not RELATED: the router's fragmentation needed (mtu 1280) for app2's
    // large DF pings to FAR arrives on E and never leaves I; app's small pings to FAR are answered.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(file(b, 'iptables-save.txt')).toMatch(/^:FORWARD DROP/m);
    expect(file(b, 'iptables-save.txt')).toMatch(/--ctstate ESTABLISHED -j ACCEPT$/m);
    expect(file(b, 'iptables-save.txt')).not.toMatch(/RELATED/);
    expect(count(b, on(E, 'in'), (p) => p.icmpType === 3 && p.icmpCode === 4 && p.icmpMtu === 1280 && p.src === a.nexthop)).toBeGreaterThan(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 3)).toBe(0);
    expect(count(b, on(I, 'in'), (p) => p.src === a.app2 && p.dst === a.far && p.icmpType === 8 && (p.ipLen ?? 0) > 1280)).toBe(3);
    expect(count(b, on(I, 'out'), echoReply(a.far, a.app))).toBe(3);
    expectClientToEipDelivered(b);
  },

  'eip-stale-arp-upstream': (b) => {
    // The router holds an old MAC for EIP: what app sends through its floating IP leaves E, and what comes back for EIP
    // (replies, the client's pings) arrives on E addressed to that MAC, which is none of the gateway's: nothing of it
    // leaves I. EIP2's traffic, resolved by ARP, passes.
    const { inside: I, outside: E, addresses: a } = b.lab;
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(5);
    expect(count(b, (p) => p.ifName === E && p.dst === a.eip && p.src === a.remote)).toBeGreaterThan(0);
    expect(count(b, on(I, 'out'), (p) => p.src === a.remote && p.dst === a.app)).toBe(0);
    const addr = JSON.parse(file(b, 'ip-addr.json')) as { ifname: string; address: string }[];
    expect(addr.find((x) => x.ifname === E)!.address).not.toBe('02:00:5e:00:53:aa');
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(5);
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app2))).toBe(5);
  },

  'eip-on-inside': (b) => {
    // EIP2 sits on the inside interface and the gateway answers no ARP for it on the outside (arp_ignore=1): the
    // router's who-has for EIP2 goes unanswered and app2's SNATed pings get nothing back; EIP's traffic passes.
    const { inside: I, outside: E, addresses: a } = b.lab;
    const addr = JSON.parse(file(b, 'ip-addr.json')) as { ifname: string; addr_info: { local: string }[] }[];
    expect(addr.find((x) => x.ifname === b.lab.inside)!.addr_info.map((i) => i.local)).toContain(a.eip2);
    expect(addr.find((x) => x.ifname === E)!.addr_info.map((i) => i.local)).not.toContain(a.eip2);
    expect(sysctl(b, `net.ipv4.conf.${sysctlName(E)}.arp_ignore`)).toBe('1');
    expect(count(b, (p) => p.arpOp === 1 && p.arpTarget === a.eip2 && p.ifName === E)).toBeGreaterThan(0);
    expect(count(b, (p) => p.arpOp === 2 && p.arpSender === a.eip2)).toBe(0);
    expect(count(b, on(E, 'out'), echoRequest(a.eip2, a.remote))).toBe(5);
    expect(count(b, on(I, 'out'), echoReply(a.remote, a.app2))).toBe(0);
    expectClientToEipDelivered(b);
  },

  'mtu-exceeded-inbound': (b) => {
    // The VPC side's MTU is 1280: the outside client's 1428-byte DF pings to the floating IP arrive on E and get
    // fragmentation needed (mtu 1280) from the gateway back out E (after the first, the client knows the path MTU and
    // sends no more that large); nothing that large leaves I; the small pings pass.
    const { inside: I, outside: E, addresses: a } = b.lab;
    const big = (p: LabPacket): boolean => p.icmpType === 8 && p.src === a.client && (p.ipLen ?? 0) > 1280;
    expect(count(b, on(E, 'in'), big)).toBeGreaterThan(0);
    expect(count(b, on(I, 'out'), (p) => p.icmpType === 8 && (p.ipLen ?? 0) > 1280)).toBe(0);
    expect(count(b, on(E, 'out'), (p) => p.icmpType === 3 && p.icmpCode === 4 && p.icmpMtu === 1280 && p.dst === a.client)).toBeGreaterThan(0);
    const small = count(b, on(E, 'in'), (p) => echoRequest(a.client, a.eip)(p) && !big(p));
    expect(small).toBe(5);
    expect(count(b, on(I, 'out'), echoRequest(a.client, a.app))).toBe(small);
  },

  'upstream-no-reply': (b) => {
    const { inside: I, outside: E, addresses: a, ports } = b.lab;
    const sent = count(b, on(I, 'in'), echoRequest(a.app, a.remote));
    expect(sent).toBe(5);
    expect(count(b, on(E, 'out'), echoRequest(a.eip, a.remote))).toBe(sent);
    expect(count(b, on(E, 'out'), tcpSyn(a.eip, a.remote, ports.remoteTcp))).toBeGreaterThanOrEqual(2);
    expect(count(b, on(E, 'in'), (p) => p.src === a.remote)).toBe(0);
    expect(count(b, (p) => p.icmpType === 3)).toBe(0);
    expectClientToEipDelivered(b);
    expect(sysctl(b, 'net.ipv4.ip_forward')).toBe('1');
    expect(file(b, 'iptables-save.txt')).not.toMatch(/:FORWARD DROP|-j (DROP|REJECT)/);
  },
};
