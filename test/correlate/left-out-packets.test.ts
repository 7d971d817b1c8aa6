/**
 * Packets the analysis cannot follow are counted and named. IPv6 is not followed through the gateway: a healthy
 * field bundle whose eth0 capture also holds routable IPv6 gets an `ipv6-not-followed` warning, while the
 * link-local chatter every capture holds (neighbour discovery, MLD: the field's own captures have some) does not;
 * packets cut inside their IP header by a short snaplen get `cut-short`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys, pcapRecords, pcapSnapped } from '../support/bundle-edit.js';
import { concat, pcapRecord } from '../support/capture-writer.mjs';
import { ethernetFrame, hexBytes } from '../support/frames.mjs';
import { fieldSets } from '../support/field.js';
import { tmpdir } from 'node:os';

const healthy = fieldSets().find((s) => s.name === 'healthy');

/** An IPv6 UDP datagram (no checksum needed: natlens does not verify it) from 2001:db8::10 to `dst`. */
function ipv6Udp(dst: string): Uint8Array {
  const payload = new TextEncoder().encode('query');
  const udp = new Uint8Array(8 + payload.length);
  const u = new DataView(udp.buffer);
  u.setUint16(0, 40000);
  u.setUint16(2, 53);
  u.setUint16(4, udp.length);
  udp.set(payload, 8);
  const h = new Uint8Array(40);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, udp.length);
  h[6] = 17;
  h[7] = 64;
  h.set(hexBytes('20010db8000000000000000000000010'), 8);
  h.set(hexBytes(dst), 24);
  return ethernetFrame({ etherType: 0x86dd, payload: concat([h, udp]) });
}

/** The capture with `frames` appended, timed just after its last record (a classic little-endian µs pcap). */
function appended(frames: Uint8Array[]) {
  return (b: Buffer): Buffer => {
    let at = 24;
    let last = 24;
    while (at + 16 <= b.length) {
      last = at;
      at += 16 + b.readUInt32LE(at + 8);
    }
    const sec = b.readUInt32LE(last);
    const us = b.readUInt32LE(last + 4);
    return Buffer.concat([b, ...frames.map((data) => Buffer.from(pcapRecord({ sec, frac: us, data }, true)))]);
  };
}

describe.skipIf(!healthy)('packets the analysis cannot follow are counted and named: routable IPv6, packets cut short', () => {
  it('routable IPv6 on a healthy gateway: the warning, and the IPv4 analysis unchanged', async () => {
    const base = await analyze([healthy!.dir]);
    expect(base.warnings.filter((w) => w.code === 'ipv6-not-followed')).toEqual([]);
    const dir = editedBundle(healthy!.dir, join(tmpdir(), 'ipv6-routable'), {
      'eth0.pcap': appended([ipv6Udp('20010db8000000000000000000000053'), ipv6Udp('fd000000000000000000000000000053'), ipv6Udp('ff020000000000000000000000000001')]),
    });
    const a = await analyze([dir]);
    const w = a.warnings.filter((x) => x.code === 'ipv6-not-followed');
    expect(w).toHaveLength(1);
    // The global and the unique local destination, not the multicast one.
    expect(w[0]!.message).toMatch(/^2 IPv6 packets were left out/);
    expect(a.summary.verdict).toBe('ok');
    expect(flowKeys(a)).toEqual(flowKeys(base));
  });

  it('link-local and multicast IPv6 only: no warning', async () => {
    const dir = editedBundle(healthy!.dir, join(tmpdir(), 'ipv6-link-local'), {
      'eth0.pcap': appended([ipv6Udp('ff020000000000000000000000000001'), ipv6Udp('fe800000000000000000000000000001')]),
    });
    const a = await analyze([dir]);
    expect(a.warnings.filter((x) => x.code === 'ipv6-not-followed')).toEqual([]);
    expect(readFileSync(join(dir, 'eth0.pcap')).length).toBeGreaterThan(readFileSync(join(healthy!.dir, 'eth0.pcap')).length);
  });

  it('packets cut inside their IP header (a snaplen of 30 bytes) are counted and named, with the snaplen to use', async () => {
    const dir = editedBundle(healthy!.dir, join(tmpdir(), 'cut-short'), { 'eth0.pcap': (b) => pcapSnapped(b, 30) });
    const a = await analyze([dir]);
    const w = a.warnings.find((x) => x.code === 'cut-short');
    expect(w?.message).toMatch(/^\d+ packets were cut before the end of their IP header .*\(tcpdump -s 0\)/);
    expect(Number(/^(\d+)/.exec(w!.message)![1])).toBeGreaterThan(10);
  });
});

/** The capture with only the frames `keep` says (a classic little-endian pcap of Ethernet frames), as a filter would. */
function filtered(keep: (frame: Buffer) => boolean) {
  return (b: Buffer): Buffer => Buffer.concat([b.subarray(0, 24), ...pcapRecords(b).filter((r) => keep(r.data)).map((r) => b.subarray(r.at, r.end))]);
}

const ipv4Of = (protocol: number) => (f: Buffer) => f.readUInt16BE(12) === 0x0800 && f[23] === protocol;
const arp = (f: Buffer) => f.readUInt16BE(12) === 0x0806;

describe.skipIf(!healthy)('captures taken with a filter (tcpdump icmp) are named so: what they leave out cannot be judged', () => {
  const warned = async (name: string, keep: (f: Buffer) => boolean) => {
    const dir = editedBundle(healthy!.dir, join(tmpdir(), `filtered-${name}`), { 'eth0.pcap': filtered(keep), 'net1.pcap': filtered(keep) });
    const a = await analyze([dir]);
    return a.warnings.filter((w) => w.code === 'capture-filtered').map((w) => w.message.replace(/ \(.*/, ''));
  };

  it('ICMP alone, TCP alone: the warning names the protocol', async () => {
    expect(await warned('icmp', ipv4Of(1))).toEqual(['the captures hold nothing but ICMP']);
    expect(await warned('tcp', ipv4Of(6))).toEqual(['the captures hold nothing but TCP']);
  });

  it('not when the captures hold ARP too, or several protocols, or were not filtered', async () => {
    expect(await warned('icmp-arp', (f) => ipv4Of(1)(f) || arp(f))).toEqual([]);
    expect(await warned('icmp-tcp', (f) => ipv4Of(1)(f) || ipv4Of(6)(f))).toEqual([]);
    expect((await analyze([healthy!.dir])).warnings.map((w) => w.code)).not.toContain('capture-filtered');
  });
});
