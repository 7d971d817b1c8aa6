/**
 * `dumpcap -i any -y LINUX_SLL2` writes pcapng whose one interface description is the `any` pseudo-device, each
 * record carrying its real interface's index. "any" is no interface: records are named by index (through
 * `ip addr`) as in a classic `tcpdump -i any` pcap, never all "any". The real field -i any capture, rewritten as
 * such a pcapng (nanosecond resolution, as dumpcap writes).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { pcapngFile } from '../support/capture-writer.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-any-sll2-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = fieldSets().find((s) => s.name === 'ip-forward-off-any');

/** A classic little-endian µs pcap as pcapng: one IDB named `name` with its link type, ns timestamps. */
function asPcapng(pcap: Buffer, name: string): Uint8Array {
  const blocks: Parameters<typeof pcapngFile>[0][number]['blocks'] = [{ type: 'idb', linkType: pcap.readUInt32LE(20), name, tsresol: 9 }];
  for (let at = 24; at + 16 <= pcap.length; at += 16 + pcap.readUInt32LE(at + 8)) {
    const caplen = pcap.readUInt32LE(at + 8);
    const ts = BigInt(pcap.readUInt32LE(at)) * 1_000_000_000n + BigInt(pcap.readUInt32LE(at + 4)) * 1000n;
    blocks.push({ type: 'epb', interfaceId: 0, ts, data: pcap.subarray(at + 16, at + 16 + caplen), origLen: pcap.readUInt32LE(at + 12) });
  }
  return pcapngFile([{ blocks }]);
}

describe.skipIf(!set)('an -i any capture as dumpcap writes it in pcapng (LINUX_SLL2, interface "any")', () => {
  it('gives the analysis of the classic pcap', async () => {
    const original = await analyze([set!.dir]);
    const dir = editedBundle(set!.dir, join(tmp, 'pcapng'), { 'any.pcap': null }, { 'any.pcapng': asPcapng(readFileSync(join(set!.dir, 'any.pcap')), 'any') });
    const a = await analyze([dir]);
    expect(a.inputs.find((i) => i.path.endsWith('any.pcapng'))!.interfaces).toEqual(original.inputs.find((i) => i.path.endsWith('any.pcap'))!.interfaces);
    expect(flowKeys(a)).toEqual(flowKeys(original));
    expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
  });

  it('without ip addr: interfaces by index, named by the nat rules\' addresses, as the classic pcap, not one "any"', async () => {
    const plain = await analyze([editedBundle(set!.dir, join(tmp, 'plain-no-addr'), { 'ip-addr.txt': null, 'ip-addr.json': null })]);
    const dir = editedBundle(set!.dir, join(tmp, 'pcapng-no-addr'), { 'any.pcap': null, 'ip-addr.txt': null, 'ip-addr.json': null }, { 'any.pcapng': asPcapng(readFileSync(join(set!.dir, 'any.pcap')), 'any') });
    const a = await analyze([dir]);
    const ifaces = a.inputs.find((i) => i.path.endsWith('any.pcapng'))!.interfaces;
    expect(ifaces).toEqual(plain.inputs.find((i) => i.path.endsWith('any.pcap'))!.interfaces);
    expect(ifaces).toEqual(['eth0', 'net1']);
    expect(a.warnings.filter((w) => w.code === 'interface-by-address').map((w) => w.message.match(/^the gateway's (\S+) is not named in this capture \(it says (ifindex\d+)\)/)?.[1])).toEqual(['net1', 'eth0']);
    expect(a.warnings.map((w) => w.code)).not.toContain('sll2-unnamed');
    expect(a.findings[0]?.check).toBe('ip-forward-disabled');
  });

  it('without ip addr nor nat rules: interfaces by index with the sll2-unnamed warning', async () => {
    const dir = editedBundle(set!.dir, join(tmp, 'pcapng-bare'), { 'any.pcap': null, 'ip-addr.txt': null, 'ip-addr.json': null, 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'iptables-filter-L.txt': null }, { 'any.pcapng': asPcapng(readFileSync(join(set!.dir, 'any.pcap')), 'any') });
    const a = await analyze([dir]);
    expect(a.inputs.find((i) => i.path.endsWith('any.pcapng'))!.interfaces.every((n) => /^ifindex\d+$/.test(n))).toBe(true);
    expect(a.warnings.map((w) => w.code)).toContain('sll2-unnamed');
  });
});
