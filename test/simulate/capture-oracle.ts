/**
 * tshark as the oracle for simulator predictions: every connection-opening packet that arrives at the gateway
 * (source MAC not the gateway's own) is simulated, and the predicted packet must appear leaving the other
 * interface (source MAC the gateway's) with the same protocol, echo sequence / TCP SYN, and exactly the
 * predicted addresses and ports (ports and echo ids only where the rule keeps them).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ipv4ToString, parseIpv4 } from '../../src/model/address.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import type { Trace } from '../../src/model/trace.js';
import { bundleFiles } from '../../src/ingest/bundle-files.js';
import { loadSnapshot } from '../../src/gateway/load-snapshot.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';

export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Pkt {
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

export function readCapture(path: string): Pkt[] {
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

export function load(dir: string): Snapshot {
  return loadSnapshot(bundleFiles(dir).files, { explicit: false });
}

/** Connection-opening packets: echo requests (first per id), SYNs, the first UDP datagram of a 5-tuple. */
export function openers(pkts: readonly Pkt[], gatewayMacs: ReadonlySet<string>): Pkt[] {
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

export function findCopy(egress: readonly Pkt[], gatewayMacs: ReadonlySet<string>, inbound: Pkt, tr: Trace): Pkt | undefined {
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


/**
 * Simulate every opener of a bundle whose captures are one file per interface (`<iface>.pcap|pcapng`) and
 * check each forwarded prediction against the egress capture. Returns `src>dst:port => src>dst:port` lines.
 */
export function checkBundleAgainstCaptures(dir: string): string[] {
  const snap = load(dir);
  const gatewayMacs = new Set<string>();
  for (const i of snap.host.interfaces) if (i.mac) gatewayMacs.add(i.mac.toLowerCase());
  const caps = new Map<string, Pkt[]>();
  const files = readdirSync(dir);
  for (const i of snap.host.interfaces) {
    const f = files.find((x) => x === `${i.name}.pcap` || x === `${i.name}.pcapng`);
    if (f) caps.set(i.name, readCapture(join(dir, f)));
  }
  expect(caps.size).toBe(2);
  const checked: string[] = [];
  for (const [ingress, pkts] of caps) {
    for (const p of openers(pkts, gatewayMacs)) {
      const tr = simulate(
        simPacket({ ingress, src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, icmpType: p.icmpType, icmpCode: 0, icmpId: p.icmpId, size: p.size, df: p.df }),
        snap,
      );
      const label = `${dir} ${ingress} frame ${p.frame} ${ipv4ToString(p.src)}→${ipv4ToString(p.dst)} proto ${p.proto}`;
      if (tr.disposition.kind === 'local') continue;
      expect(tr.disposition.kind, label).toBe('forwarded');
      expect(tr.unsure, label).toBe(false);
      const egress = tr.disposition.kind === 'forwarded' ? tr.disposition.egress : '';
      const copy = findCopy(caps.get(egress) ?? [], gatewayMacs, p, tr);
      expect(copy, `${label}: predicted ${JSON.stringify(tr.disposition)} not seen on ${egress}`).toBeDefined();
      const o = tr.disposition.kind === 'forwarded' ? tr.disposition.out : null;
      const port = (x: number): string => (p.proto === 1 ? 'icmp' : String(x));
      checked.push(`${ipv4ToString(p.src)}>${ipv4ToString(p.dst)}:${port(p.dport)} => ${ipv4ToString(o!.src)}>${ipv4ToString(o!.dst)}:${port(o!.dport)}`);
    }
  }
  return checked;
}
